import Foundation
import PhantomImaging
import Testing

/// OpenSlide tiling on `Tests/Fixtures/images/slide_pyramid.tif` (`make_slide_fixture.sh`):
/// a 512×512 pyramidal TIFF with two tissue discs (centres (150, 150) r 90 and (350, 330)
/// r 75) on glass of luminance 245.
@Suite struct WholeSlideTests {
    static let path = ImageFixtures.path("slide_pyramid.tif")

    static func tiles(_ options: WholeSlideOptions) throws -> [(String, GrayImage)] {
        var tiles: [(String, GrayImage)] = []
        try WholeSlideReader.forEachTile(path: path, options: options) { name, image in tiles.append((name, image)) }
        return tiles
    }

    static func mean(_ image: GrayImage) -> Double {
        guard case .uint8(let samples) = image.samples else { return .nan }
        return Double(samples.reduce(0) { $0 + Int($1) }) / Double(samples.count)
    }

    /// Whether the 64-pixel tile at (x, y) is at least half inside a disc (by sampling its pixels).
    static func isTissue(x: Int, y: Int) -> Bool {
        var inside = 0
        for py in y..<(y + 64) {
            for px in x..<(x + 64) where hypot(Double(px - 150), Double(py - 150)) < 90 || hypot(Double(px - 350), Double(py - 330)) < 75 {
                inside += 1
            }
        }
        return inside * 2 >= 64 * 64
    }

    @Test func aPyramidalTIFFIsASlideAndATiledOneIsNot() {
        #expect(WholeSlideReader.isWholeSlide(path: Self.path))
        #expect(!WholeSlideReader.isWholeSlide(path: ImageFixtures.path("tiff_gray16_tiles.tif")))
        #expect(ImageFormat(fileName: "case-12.SVS") == .wholeSlide)
    }

    /// The kept tiles are the tissue tiles — each darker than the glass — and no glass tile is
    /// kept (Otsu on the smallest level; the tile's share of tissue measured there).
    @Test func keepsTissueTilesAndSkipsGlass() throws {
        let tiles = try Self.tiles(WholeSlideOptions(tileSize: 64, maxTilesPerSlide: nil))
        let positions = tiles.map { name, _ in name.split(separator: "-").dropFirst(2).map { Int($0)! } }
        let expected = stride(from: 0, to: 512, by: 64).flatMap { y in stride(from: 0, to: 512, by: 64).map { [$0, y] } }
            .filter { Self.isTissue(x: $0[0], y: $0[1]) }
        // The small level blurs the disc edges: allow a tile of difference either way.
        #expect(abs(positions.count - expected.count) <= 2, "kept \(positions.count), expected about \(expected.count)")
        #expect(Set(positions.map { $0 }).intersection(Set(expected)).count >= expected.count - 2)
        for (name, image) in tiles {
            #expect(image.width == 64 && image.height == 64)
            #expect(Self.mean(image) < 200, "\(name) looks like glass (mean \(Self.mean(image)))")
        }
        #expect(positions == positions.sorted { ($0[1], $0[0]) < ($1[1], $1[0]) })   // row-major
    }

    /// The cap keeps a seeded subset, in position order, the same on every run.
    @Test func theCapIsASeededSubset() throws {
        let all = try Self.tiles(WholeSlideOptions(tileSize: 64, maxTilesPerSlide: nil)).map(\.0)
        let three = try Self.tiles(WholeSlideOptions(tileSize: 64, maxTilesPerSlide: 3, seed: 1)).map(\.0)
        let again = try Self.tiles(WholeSlideOptions(tileSize: 64, maxTilesPerSlide: 3, seed: 1)).map(\.0)
        let other = try Self.tiles(WholeSlideOptions(tileSize: 64, maxTilesPerSlide: 3, seed: 2)).map(\.0)
        #expect(three.count == 3 && three == again && Set(three).isSubset(of: Set(all)))
        #expect(three == all.filter { three.contains($0) })
        #expect(other != three)
    }

    @Test func tooLargeTilesAndBadFilesAreErrors() throws {
        #expect(throws: ImagingError.self) { try Self.tiles(WholeSlideOptions(tileSize: 1024)) }   // no 1024 tile fits
        try withTemporaryDirectory { root in
            let fake = root + "/fake.svs"
            try Data("not a slide".utf8).write(to: URL(fileURLWithPath: fake))
            #expect {
                try WholeSlideReader.forEachTile(path: fake) { _, _ in }
            } throws: { error in
                (error as? ImagingError)?.path == fake
            }
        }
    }
}
