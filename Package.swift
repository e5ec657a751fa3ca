// swift-tools-version: 6.0
import PackageDescription

/// Kernel modules are built with `-Ounchecked` in release: their inner loops run on
/// pointers whose bounds are established once per call, and overflow checks block
/// vectorisation. Modules that parse user input keep Swift's checks. On x86-64 they
/// target Haswell-class CPUs (AVX2, any x86-64 server since 2013) instead of the
/// baseline's SSE2, so element-wise loops use 256-bit vectors.
#if arch(x86_64)
let kernelFlags = ["-Ounchecked", "-target-cpu", "haswell"]
#else
let kernelFlags = ["-Ounchecked"]
#endif
let kernelSettings: [SwiftSetting] = [
    .unsafeFlags(kernelFlags, .when(configuration: .release)),
]

let package = Package(
    name: "Phantom",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "phantom", targets: ["phantom"]),
        .library(name: "PhantomTensor", targets: ["PhantomTensor"]),
        .library(name: "PhantomImaging", targets: ["PhantomImaging"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries: module maps only.
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(
            name: "CDNNL",
            providers: [.apt(["libdnnl-dev"])]
        ),
        .systemLibrary(
            name: "CPNG",
            pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]
        ),
        .systemLibrary(
            name: "CJPEG",
            pkgConfig: "libturbojpeg",
            providers: [.apt(["libturbojpeg0-dev"])]
        ),
        .systemLibrary(
            name: "CTIFF",
            pkgConfig: "libtiff-4",
            providers: [.apt(["libtiff-dev"])]
        ),
        // niftilib has no pkg-config file: the module map names its libraries (nifti2, znz, z).
        .systemLibrary(
            name: "CNIfTI",
            providers: [.apt(["libnifti2-dev"])]
        ),

        .systemLibrary(
            name: "COpenSlide",
            pkgConfig: "openslide",
            providers: [.apt(["libopenslide-dev"])]
        ),
        // Open MPI: a module map and static inline shims over its handle macros.
        .systemLibrary(
            name: "CMPI",
            pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev"])]
        ),

        // DCMTK (C++; its pkg-config file wants libsndfile, so the libraries are named here)
        // behind a small C interface.
        .target(
            name: "CDICOM",
            linkerSettings: ["dcmimage", "dcmimgle", "dcmjpeg", "dcmjpls", "dcmdata", "ijg8", "ijg12", "ijg16",
                             "dcmtkcharls", "oflog", "ofstd"].map { .linkedLibrary($0) }
        ),

        // Tensor core: storage, GEMM, parallelFor, RNG, element-wise kernels.
        .target(name: "PhantomTensor", dependencies: ["CBLAS", "CDNNL"], swiftSettings: kernelSettings),

        // Layers: forward/backward pairs, parameter tree, optimizer.
        .target(name: "PhantomLayers", dependencies: ["PhantomTensor"], swiftSettings: kernelSettings),

        // Diffusion: the diffusers-compatible U-Net, schedulers, training and sampling.
        .target(
            name: "PhantomDiffusion",
            dependencies: ["PhantomLayers", "PhantomTensor", "PhantomSafetensors", "PhantomPrivacy", "PhantomImaging"],
            swiftSettings: kernelSettings
        ),

        // The safetensors format: a bounds-checked reader and a writer (a security boundary).
        .target(name: "PhantomSafetensors"),

        // Imaging: PNG codec, preprocessing, ImageFolder dataset.
        .target(name: "PhantomImaging", dependencies: ["CPNG", "CJPEG", "CTIFF", "CNIfTI", "CDICOM", "COpenSlide", "PhantomSafetensors"]),

        // Privacy: the memorization audit (nearest training neighbours of samples).
        .target(name: "PhantomPrivacy", dependencies: ["PhantomTensor", "PhantomImaging", "PhantomSafetensors"], swiftSettings: kernelSettings),

        // Evaluation: a domain feature network, Fréchet distance, precision/recall, density/coverage,
        // diversity (MS-SSIM), class consistency and train-on-synthetic utility of a sample folder.
        .target(
            name: "PhantomEvaluation",
            dependencies: ["PhantomDiffusion", "PhantomLayers", "PhantomTensor", "PhantomImaging", "PhantomPrivacy", "PhantomSafetensors"],
            swiftSettings: kernelSettings
        ),

        // Distribution: the MPI process group of data-parallel training and sampling.
        .target(name: "PhantomDistribution", dependencies: ["CMPI", "PhantomTensor"]),

        // The command-line tool: thin over the libraries.
        .executableTarget(
            name: "phantom",
            dependencies: [
                "PhantomImaging",
                "PhantomPrivacy",
                "PhantomDiffusion",
                "PhantomDistribution",
                "PhantomEvaluation",
                "PhantomTensor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // The benchmark executable (release builds only give meaningful figures).
        .executableTarget(
            name: "phantom-benchmark",
            dependencies: ["PhantomDiffusion", "PhantomDistribution", "PhantomLayers", "PhantomPrivacy", "PhantomTensor"],
            path: "Benchmarks/PhantomBenchmark",
            swiftSettings: kernelSettings
        ),

        // Helpers shared by the test targets (finite-difference gradient checks).
        .target(
            name: "PhantomTestSupport",
            dependencies: ["PhantomTensor", "PhantomDiffusion"],
            path: "Tests/PhantomTestSupport"
        ),

        .testTarget(name: "SystemLibraryTests", dependencies: ["CBLAS", "CPNG"]),
        .testTarget(name: "PhantomTensorTests", dependencies: ["PhantomTensor"]),
        .testTarget(name: "PhantomDistributionTests", dependencies: ["PhantomDistribution", "PhantomTensor"]),
        .testTarget(name: "PhantomLayersTests", dependencies: ["PhantomLayers", "PhantomTestSupport"]),
        .testTarget(
            name: "PhantomDiffusionTests",
            dependencies: ["PhantomDiffusion", "PhantomSafetensors", "PhantomTestSupport", "PhantomImaging", "PhantomPrivacy", "CPNG"]
        ),
        .testTarget(name: "PhantomEndToEndTests", dependencies: ["PhantomDiffusion", "PhantomImaging"]),
        .testTarget(name: "PhantomSafetensorsTests", dependencies: ["PhantomSafetensors"]),
        .testTarget(name: "PhantomImagingTests", dependencies: ["PhantomImaging", "CPNG"]),
        .testTarget(name: "PhantomPrivacyTests", dependencies: ["PhantomPrivacy", "PhantomImaging"]),
        .testTarget(
            name: "PhantomEvaluationTests",
            dependencies: ["PhantomEvaluation", "PhantomDiffusion", "PhantomLayers", "PhantomTensor", "PhantomImaging", "PhantomTestSupport"]
        ),
    ],
    cxxLanguageStandard: .cxx17   // DCMTK 3.6.7 was built for C++17 and checks it
)
