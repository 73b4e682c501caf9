/// The one place where checkpoint keys are renamed: older diffusers VAE checkpoints name the mid-block attention
/// `query`, `key`, `value`, `proj_attn` (diffusers renames them on load to `to_q`, `to_k`, `to_v`, `to_out.0`).
enum LegacyKeys {
    static func vae(_ key: String) -> String {
        guard key.contains(".attentions.") else { return key }
        let renames = [(".query.", ".to_q."), (".key.", ".to_k."), (".value.", ".to_v."), (".proj_attn.", ".to_out.0.")]
        for (old, new) in renames where key.contains(old) {
            return key.replacingOccurrences(of: old, with: new)
        }
        return key
    }
}
