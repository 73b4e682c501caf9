/// The named colours a scene may use, each with one fixed sRGB value.
///
/// The names are also the caption words, so the set stays small; the values are far enough apart
/// that any two names are told apart at a glance.
public enum NamedColor: String, CaseIterable, Codable, Hashable, Sendable {
    case red, green, blue, yellow, purple, orange, pink, cyan, white, black, gray, brown

    /// 8-bit sRGB value: (R, G, B).
    public var rgb: (UInt8, UInt8, UInt8) {
        switch self {
        case .red: (220, 40, 40)
        case .green: (40, 170, 60)
        case .blue: (40, 80, 220)
        case .yellow: (240, 210, 40)
        case .purple: (130, 60, 180)
        case .orange: (245, 140, 30)
        case .pink: (240, 130, 180)
        case .cyan: (40, 200, 220)
        case .white: (255, 255, 255)
        case .black: (0, 0, 0)
        case .gray: (128, 128, 128)
        case .brown: (140, 90, 40)
        }
    }

    /// The caption word.
    public var word: String { rawValue }
}
