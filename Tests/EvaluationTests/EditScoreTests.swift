import MediaIO
import Scenes
import Testing
@testable import Evaluation

/// The edit-quality metrics against cases whose answer is known: the target rendering is a perfect edit, the
/// unedited source fails the requested attribute.
@Suite struct EditScoreTests {
    let size = Size(width: 64, height: 64)
    let source = Scene(shape: .circle, color: .red, size: .large, background: .plain(.blue),
                       motion: .linear(toward: .right), start: Position(x: 0.3, y: 0.5), speed: 0.4)

    @Test(arguments: [Shape.square, .triangle, .star, .hexagon])
    func perfectShapeEditScoresFull(_ shape: Shape) {
        let target = source.with(shape: shape)
        let perfect = SceneRenderer.render(target, size: size, frames: 4).frames
        let s = EditScoring.score(edited: perfect, source: source, target: target, size: size)
        #expect(s.colorAccuracy == 1 && s.shapeAccuracy == 1 && s.backgroundAccuracy == 1)
        #expect(s.maeTarget == 0 && s.psnrTarget == 99 && s.maeUnchanged == 0)
        #expect(abs(s.flickerRatio - 1) < 1e-9)
    }

    @Test func uneditedSourceFailsTheRequestedAttribute() {
        let unedited = SceneRenderer.render(source, size: size, frames: 4).frames
        let colorEdit = EditScoring.score(edited: unedited, source: source, target: source.with(color: .yellow), size: size)
        #expect(colorEdit.colorAccuracy == 0 && colorEdit.shapeAccuracy == 1)
        let shapeEdit = EditScoring.score(edited: unedited, source: source, target: source.with(shape: .square), size: size)
        #expect(shapeEdit.shapeAccuracy == 0 && shapeEdit.colorAccuracy == 1)
        let backgroundEdit = EditScoring.score(edited: unedited, source: source, target: source.with(background: .plain(.green)), size: size)
        #expect(backgroundEdit.backgroundAccuracy == 0)
        #expect(backgroundEdit.maeTarget > 10)
    }

    @Test func flickerIsMeasuredAgainstTheTruth() {
        var frames = SceneRenderer.render(source, size: size, frames: 4).frames
        // Brighten every other frame: more change between frames than the truth has.
        for i in stride(from: 1, to: 4, by: 2) { frames[i].pixels = frames[i].pixels.map { UInt8(min(255, Int($0) + 40)) } }
        let s = EditScoring.score(edited: frames, source: source, target: source, size: size)
        #expect(s.flickerRatio > 2)
    }
}
