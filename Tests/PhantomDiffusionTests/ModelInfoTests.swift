import Foundation
@testable import PhantomDiffusion
import PhantomPrivacy
import Testing

/// `phantom.json`: what Phantom records beside a diffusers model survives a write and a read.
@Suite struct ModelInfoTests {
    @Test func guidanceAndPrivacyRoundTrip() throws {
        var info = ModelInfo(classNames: ["a", "b"], nullClass: 2, bitDepth: 16, resolution: 32,
                             privacy: DPSGDGuarantee(options: DPSGDOptions(noiseMultiplier: 1.2, maxGradNorm: 0.5, sampleRate: 0.01,
                                                                           noiseDraws: 3, delta: 1e-6, targetEpsilon: 5), steps: 700))
        info.guidanceScale = 2
        info.guidanceInterval = 0.25...6
        info.guide = "guide"
        info.guideScale = 1.8
        var read = try ModelInfo(json: info.jsonData(), source: "phantom.json")
        // JSON keeps ε to 15–16 significant digits.
        let epsilon = try #require(read.privacy?.epsilon)
        #expect(abs(epsilon - info.privacy!.epsilon) <= 1e-12 * epsilon)
        read.privacy?.epsilon = info.privacy!.epsilon
        #expect(read == info)
        let plain = try ModelInfo(json: Data(#"{"class_names": ["a"], "bit_depth": 8}"#.utf8), source: "phantom.json")
        #expect(plain.guidanceScale == nil && plain.guidanceInterval == nil && plain.privacy == nil && plain.guide == nil)
        #expect(plain.samplingGuidance() == .none)
        #expect(info.samplingGuidance() == Guidance(scale: 2, sigmas: 0.25...6))
        let belowTen = try ModelInfo(json: Data(#"{"guidance_interval": [0, 10]}"#.utf8), source: "phantom.json")
        #expect(belowTen.guidanceInterval == 0...10 && belowTen.guideInterval == nil)
        let split = try ModelInfo(json: Data(#"{"guide": "guide", "guidance_interval": [10, 200], "guide_interval": [0, 10]}"#.utf8),
                                  source: "phantom.json")
        #expect(split.guideInterval == 0...10)
        #expect(split.samplingGuidance(scale: 2, guideUsed: true) == Guidance(scale: 2, guideScale: 2, sigmas: 10...200, guideSigmas: 0...10))
        #expect(split.samplingGuidance(guideUsed: true, guideInterval: .everyStep).guideSigmas == nil)
        #expect(try ModelInfo(json: split.jsonData(), source: "phantom.json") == split)
    }

    @Test func badFieldsNameTheFileAndTheKey() {
        for text in [#"{"guidance_scale": "two"}"#, #"{"privacy": {"epsilon": 1}}"#, #"{"guidance_interval": [6, 0.5]}"#,
                     #"{"guidance_interval": [-1, 1]}"#, #"{"guidance_interval": [1]}"#, #"{"guide_interval": [3, 2]}"#, #"{"guidance_interval": "all"}"#,
                     #"{"guide": "/tmp/weak"}"#, #"{"guide": "../weak"}"#, #"{"guide": ""}"#, #"{"guide": 3}"#, #"{"guide_scale": "2"}"#] {
            do {
                _ = try ModelInfo(json: Data(text.utf8), source: "m/phantom.json")
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.path == "m/phantom.json")
                #expect(["guidance_scale", "guidance_interval", "privacy", "guide"].contains { error.reason.contains($0) }, "\(error.reason)")
            }
        }
    }

    /// What `phantom sample --guidance-scale/--guidance-interval` name overrides the model's own.
    @Test func samplingGuidanceTakesTheUsersChoicesOverTheModels() {
        var info = ModelInfo(classNames: ["a"], nullClass: 1, bitDepth: 8)
        info.guidanceScale = 2
        info.guidanceInterval = 0.5...10
        #expect(info.samplingGuidance(scale: 3) == Guidance(scale: 3, sigmas: 0.5...10))
        #expect(info.samplingGuidance(interval: .everyStep) == Guidance(scale: 2))
        #expect(info.samplingGuidance(scale: 1.5, interval: .sigmas(1...2)) == Guidance(scale: 1.5, sigmas: 1...2))
        #expect(GuidanceInterval("all") == .everyStep)
        #expect(GuidanceInterval("0.3:5") == .sigmas(0.3...5))
        #expect(GuidanceInterval("0:10") == .sigmas(0...10))       // every step with σ ≤ 10
        for bad in ["", "5:0.3", "-0.1:1", "1", "a:b", "1:2:3", "-1:2", "inf:inf"] { #expect(GuidanceInterval(bad) == nil, "\(bad)") }
    }

    /// `phantom sample --guide MODEL|none --guide-scale A` over the model's `"guide"` and `"guide_scale"`.
    @Test func theGuideIsTheUsersElseTheModelsOwn() {
        let folder = URL(fileURLWithPath: "/models/m")
        var info = ModelInfo(classNames: ["a"], nullClass: 1, bitDepth: 8)
        #expect(info.guideFolder(option: nil, modelFolder: folder) == nil)
        #expect(info.guideFolder(option: "/w", modelFolder: folder)?.path == "/w")
        #expect(info.samplingGuidance(guideUsed: true) == Guidance(scale: 1, guideScale: 2))
        info.guide = "guide"
        info.guideScale = 1.5
        info.guidanceScale = 1.2
        #expect(info.guideFolder(option: nil, modelFolder: folder)?.path == "/models/m/guide")
        #expect(info.guideFolder(option: "none", modelFolder: folder) == nil)
        #expect(info.guideFolder(option: "/w", modelFolder: folder)?.path == "/w")
        #expect(info.samplingGuidance(guideUsed: true) == Guidance(scale: 1.2, guideScale: 1.5))
        #expect(info.samplingGuidance(guideScale: 3, guideUsed: true) == Guidance(scale: 1.2, guideScale: 3))
        #expect(info.samplingGuidance(guideUsed: false) == Guidance(scale: 1.2))
    }
}
