import Tensors

/// Gradient checkpointing (like `torch.utils.checkpoint`): trades compute for memory.
///
/// `checkpointed(inputs) { body }` runs `body` once without recording, keeping only its inputs' values and its
/// output. During backward it runs `body` again, this time recorded, on copies of the inputs, back-propagates the
/// incoming gradient through that fresh sub-graph (which adds to the `grad` of every trainable parameter `body`
/// uses) and hands the inputs' gradients on. The activations inside the block live only while its backward runs.
///
/// `body` must be deterministic (same value on the second run) and read trainable parameters only through
/// variables it captures (as the `Trainable` layers do). Gradients equal those of the plain recorded forward.
///
/// - inputs: the block's differentiable inputs (activations from earlier layers); body receives stand-ins for them.
public func checkpointed(_ inputs: [Variable], _ body: @escaping ([Variable]) -> Variable) -> Variable {
    guard GradMode.isEnabled else { return body(inputs) }
    let probe = UsageProbe()
    let output = GradMode.$usageProbe.withValue(probe) {
        GradMode.withoutGradients { body(inputs.map { Variable($0.value) }) }
    }
    let needsAnything = probe.sawTrainable || inputs.contains { $0.requiresGrad }
    guard needsAnything else { return output }
    return Variable.record(output.value, inputs: inputs, force: true) { needs in
        let saved = inputs.map(\.value)
        return { g in
            let fresh = zip(saved, needs).map { Variable($0, requiresGrad: $1) }
            let recomputed = GradMode.$isEnabled.withValue(true) {
                GradMode.$usageProbe.withValue(nil) { body(fresh) }
            }
            recomputed.backward(seed: g)
            return fresh.map(\.grad)
        }
    }
}
