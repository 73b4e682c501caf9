/// Captions, generated from the scene value alone.
///
/// Form: `a|an [small|large] [spinning] <color> <shape> <motion> on a <background>`, for example
/// "a red circle moving right on a blue background",
/// "a large spinning green star moving up and left on a black and white checkered background".
/// Medium size is left unsaid. A spinning object that does not move is "spinning" instead of "resting".
/// Background phrases: "blue background", "red and yellow gradient background",
/// "green and white striped background", "black and white checkered background",
/// "blue and white dotted background" (dots of the second colour). The words used are `captionVocabulary`.
extension Scene {
    /// The optional phrases of a caption; colour and shape are always said.
    public struct CaptionDetail: OptionSet, Hashable, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// "small" / "large" and "spinning" before the colour.
        public static let size = CaptionDetail(rawValue: 1)
        /// The motion phrase after the shape ("moving right", "resting", "spinning" in place).
        public static let motion = CaptionDetail(rawValue: 2)
        /// "on a ... background".
        public static let background = CaptionDetail(rawValue: 4)
        public static let all: CaptionDetail = [.size, .motion, .background]
    }

    public var caption: String { caption(saying: .all) }

    /// The caption with only the optional phrases in `details`: `.background` alone gives "a red circle on a blue
    /// background", `[]` gives "a red circle". The default model trains on such shortened captions too, so a user's
    /// shorter prompt stays in its training distribution.
    public func caption(saying details: CaptionDetail) -> String {
        var object: [String] = []
        let spinsInPlace = rotation != 0 && motion == .resting
        if details.contains(.size) {
            if size != .medium { object.append(size.rawValue) }
            if rotation != 0 && !spinsInPlace { object.append("spinning") }
        }
        object += [color.word, shape.word]
        let article = "aeiou".contains(object[0].first ?? "x") ? "an" : "a"
        var words = [article] + object
        if details.contains(.motion) { words.append(spinsInPlace ? "spinning" : motion.verb) }
        if details.contains(.background) { words += ["on", "a", background.phrase] }
        return words.joined(separator: " ")
    }

    /// Every word a caption can contain, sorted.
    public static let captionVocabulary: [String] = {
        var words: Set<String> = ["a", "an", "on", "and", "background", "gradient", "striped", "checkered", "dotted",
                                  "moving", "bouncing", "orbiting", "resting", "spinning", "small", "large"]
        words.formUnion(NamedColor.allCases.map(\.word))
        words.formUnion(Shape.allCases.map(\.word))
        words.formUnion(Direction.allCases.flatMap { $0.words.split(separator: " ").map(String.init) })
        return words.sorted()
    }()
}

extension Motion {
    /// The motion's caption phrase: "resting", "moving up and left", "bouncing", "orbiting".
    public var verb: String {
        switch self {
        case .resting: "resting"
        case .linear(let d): "moving " + d.words
        case .bouncing: "bouncing"
        case .orbit: "orbiting"
        }
    }
}

extension Background {
    /// The background's caption phrase, ending in "background".
    public var phrase: String {
        switch self {
        case .plain(let c): "\(c.word) background"
        case .gradient(let a, let b, _): "\(a.word) and \(b.word) gradient background"
        case .stripes(let a, let b, _): "\(a.word) and \(b.word) striped background"
        case .checkerboard(let a, let b): "\(a.word) and \(b.word) checkered background"
        case .dots(let a, let b): "\(a.word) and \(b.word) dotted background"
        }
    }
}
