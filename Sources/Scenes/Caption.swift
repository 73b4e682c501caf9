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
    public var caption: String {
        var object: [String] = []
        if size != .medium { object.append(size.rawValue) }
        let spinsInPlace = rotation != 0 && motion == .resting
        if rotation != 0 && !spinsInPlace { object.append("spinning") }
        object += [color.word, shape.word]
        let article = "aeiou".contains(object[0].first ?? "x") ? "an" : "a"
        let verb = spinsInPlace ? "spinning" : motion.verb
        return ([article] + object + [verb, "on", "a", background.phrase]).joined(separator: " ")
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
