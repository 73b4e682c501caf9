import Testing
@testable import Scenes

struct CaptionTests {
    @Test func fixedScenesHaveExactCaptions() {
        let cases: [(Scene, String)] = [
            (Scene(shape: .circle, color: .red, background: .plain(.blue), motion: .linear(toward: .right)),
             "a red circle moving right on a blue background"),
            (Scene(shape: .star, color: .orange, size: .large, background: .gradient(from: .red, to: .yellow, along: .vertical),
                   motion: .linear(toward: .upLeft)),
             "a large orange star moving up and left on a red and yellow gradient background"),
            (Scene(shape: .square, color: .orange, background: .stripes(.green, .white, along: .horizontal),
                   motion: .bouncing(toward: .downRight)),
             "an orange square bouncing on a green and white striped background"),
            (Scene(shape: .hexagon, color: .purple, size: .small, background: .checkerboard(.black, .white),
                   motion: .orbit(clockwise: false), rotation: 0.5),
             "a small spinning purple hexagon orbiting on a black and white checkered background"),
            (Scene(shape: .diamond, color: .cyan, background: .dots(.brown, .pink)),
             "a cyan diamond resting on a brown and pink dotted background"),
            (Scene(shape: .triangle, color: .gray, background: .plain(.white), rotation: -1),
             "a gray triangle spinning on a white background"),
        ]
        for (scene, caption) in cases { #expect(scene.caption == caption) }
    }

    @Test func editsChangeOnlyTheirWords() {
        let scene = Scene(shape: .circle, color: .red, background: .plain(.blue), motion: .linear(toward: .down))
        #expect(scene.with(color: .green).caption == "a green circle moving down on a blue background")
        #expect(scene.with(shape: .star).caption == "a red star moving down on a blue background")
        #expect(scene.with(background: .dots(.white, .black)).caption
                == "a red circle moving down on a white and black dotted background")
        #expect(scene.with(color: .blue).colorsAreDistinct == false)
    }

    @Test func shortenedCaptionsDropWholePhrases() {
        let scene = Scene(shape: .hexagon, color: .orange, size: .small, background: .checkerboard(.black, .white),
                          motion: .orbit(clockwise: false), rotation: 0.5)
        #expect(scene.caption(saying: .all) == "a small spinning orange hexagon orbiting on a black and white checkered background")
        #expect(scene.caption(saying: []) == "an orange hexagon")
        #expect(scene.caption(saying: .size) == "a small spinning orange hexagon")
        #expect(scene.caption(saying: .motion) == "an orange hexagon orbiting")
        #expect(scene.caption(saying: .background) == "an orange hexagon on a black and white checkered background")
        // Spinning in place is the motion phrase, not a size word.
        let spinner = Scene(shape: .triangle, color: .gray, background: .plain(.white), rotation: -1)
        #expect(spinner.caption(saying: [.size, .background]) == "a gray triangle on a white background")
        #expect(spinner.caption(saying: .motion) == "a gray triangle spinning")
    }

    @Test func sampledCaptionsUseTheVocabulary() {
        var sampler = SceneSampler(seed: 3)
        let vocabulary = Set(Scene.captionVocabulary)
        for _ in 0..<300 {
            for word in sampler.next().caption.split(separator: " ") { #expect(vocabulary.contains(String(word))) }
        }
        #expect(vocabulary.count == Scene.captionVocabulary.count && vocabulary.count < 50)
    }
}
