import Foundation
import MediaIO
import Testing
@testable import Scenes

struct SamplerTests {
    @Test func splitMix64MatchesReferenceStream() {
        var rng = SplitMix64(seed: 0)  // first outputs of Vigna's splitmix64.c from state 0
        #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
        #expect(rng.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(rng.next() == 0x06C4_5D18_8009_454F)
        for n in [1, 2, 7, 1000] { #expect((0..<100).allSatisfy { _ in (0..<n).contains(rng.next(below: n)) }) }
    }

    @Test func sameSeedSameScenesDifferentSeedsDiffer() {
        func draw(_ seed: UInt64) -> [Scene] {
            var s = SceneSampler(seed: seed)
            return (0..<20).map { _ in s.next() }
        }
        #expect(draw(42) == draw(42))
        #expect(draw(42) != draw(43))
        #expect(Set(draw(42)).count == 20)
    }

    @Test func sampledScenesAreVisibleAndStayInFrame() {
        var sampler = SceneSampler(seed: 11)
        var kinds = Set<String>()
        for _ in 0..<200 {
            let scene = sampler.next()
            #expect(scene.colorsAreDistinct, "\(scene)")
            let pattern = switch scene.background {
            case .plain: "plain"
            case .gradient: "gradient"
            case .stripes: "stripes"
            case .checkerboard: "checkerboard"
            case .dots: "dots"
            }
            kinds.insert("\(scene.motion.verb.split(separator: " ")[0]) \(pattern)")
            for size in [Size(width: 64, height: 64), Size(width: 96, height: 48), Size(width: 40, height: 80)] {
                let r = scene.size.radius(in: size)
                for t in stride(from: 0.0, through: 1.0, by: 0.1) {
                    let c = scene.center(at: t, in: size)
                    #expect(c.x >= r - 1e-9 && c.x <= Double(size.width) - r + 1e-9, "\(scene) at \(t)")
                    #expect(c.y >= r - 1e-9 && c.y <= Double(size.height) - r + 1e-9, "\(scene) at \(t)")
                }
            }
        }
        #expect(kinds.count >= 20)  // 4 motions × 5 backgrounds all appear
    }

    @Test func scenesSurviveCodableRoundTrip() throws {
        var sampler = SceneSampler(seed: 5)
        let scenes = (0..<50).map { _ in sampler.next() }
        let data = try JSONEncoder().encode(scenes)
        #expect(try JSONDecoder().decode([Scene].self, from: data) == scenes)
    }
}
