import ArgumentParser
import PhantomDiffusion

/// `--shard i/n` (see ``SampleShard``).
extension SampleShard: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}
