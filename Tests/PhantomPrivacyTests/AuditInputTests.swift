import PhantomPrivacy
import Testing

/// What the audit refuses to run on.
@Suite struct AuditInputTests {
    static let images = randomImages(count: 3, side: 8, seed: 1)

    @Test func emptySetsAreErrors() {
        let empty = AuditImages(side: 8, pixels: [])
        #expect(throws: AuditError("there are no samples to audit")) {
            try MemorizationAudit.run(samples: empty, training: Self.images)
        }
        #expect(throws: AuditError("there are no training images to compare with")) {
            try MemorizationAudit.run(samples: Self.images, training: empty)
        }
    }

    @Test func sidesMustAgreeAndBeLargeEnough() {
        #expect(throws: AuditError("samples are 9x9 but training images 8x8")) {
            try MemorizationAudit.run(samples: randomImages(count: 1, side: 9, seed: 2), training: Self.images)
        }
        let small = randomImages(count: 2, side: 7, seed: 3)
        #expect(throws: AuditError("images must be at least 8x8, got 7x7")) {
            try MemorizationAudit.run(samples: small, training: small)
        }
    }

    @Test func parametersAreChecked() {
        #expect(throws: AuditError.self) {
            try MemorizationAudit.run(
                samples: Self.images, training: Self.images, configuration: AuditConfiguration(neighbourCount: 0))
        }
        for threshold: Float in [0, -1, .nan, .infinity] {
            #expect(throws: AuditError.self) {
                try MemorizationAudit.run(
                    samples: Self.images, training: Self.images, configuration: AuditConfiguration(threshold: threshold))
            }
        }
    }
}
