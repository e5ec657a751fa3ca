import CDNNL

/// One oneDNN primitive (a convolution pass or a reorder between memory layouts) and the
/// memory objects each worker executes it with.
///
/// A primitive is created once per shape and executed by many workers at once; each
/// worker binds its own buffers to its own memory objects and has its own stream. Every
/// primitive runs on the calling thread alone (`phantom_dnnl_use_calling_thread`), with
/// its scratchpad supplied by the caller, so concurrent executions share nothing.
final class OneDNNPrimitive: @unchecked Sendable {
    /// The execution arguments (`DNNL_ARG_…`) in the order ``run(worker:_:scratchpad:)`` takes their buffers.
    let arguments: [Int32]
    /// Bytes of scratchpad one execution needs.
    let scratchpadBytes: Int
    private let primitive: dnnl_primitive_t
    private let descriptors: [dnnl_memory_desc_t]
    private var memories: [[dnnl_memory_t]] = []
    private var streams: [dnnl_stream_t] = []
    /// Whether executions bring no scratchpad and use the worker's own (reorders).
    private let ownsScratchpads: Bool
    /// Each worker's scratchpad, when ``ownsScratchpads`` and one is needed.
    private var ownScratchpads: [UnsafeMutableRawPointer] = []

    /// A primitive from its descriptor `pd` (still the caller's) and the memory
    /// descriptors of `arguments`, each queried from `pd` as `query` number `index`. With
    /// `ownsScratchpads`, each worker gets a scratchpad of its own; otherwise every
    /// execution brings one.
    init?(_ pd: dnnl_primitive_desc_t, arguments: [(argument: Int32, query: dnnl_query_t, index: Int32)],
          ownsScratchpads: Bool = false) {
        self.ownsScratchpads = ownsScratchpads
        var created: dnnl_primitive_t?
        guard dnnl_primitive_create(&created, pd) == dnnl_success, let created else { return nil }
        primitive = created
        self.arguments = arguments.map(\.argument)
        descriptors = arguments.map { dnnl_primitive_desc_query_md(pd, $0.query, $0.index).pointee }
        scratchpadBytes = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0).map { dnnl_memory_desc_get_size($0) } ?? 0
    }

    /// A reorder of one tensor from layout `source` to layout `target`.
    convenience init?(reorderingFrom source: dnnl_memory_desc_t, to target: dnnl_memory_desc_t) {
        var source = source, target = target
        var pd: dnnl_primitive_desc_t?
        guard let attributes = OneDNN.userScratchpadAttributes() else { return nil }
        defer { dnnl_primitive_attr_destroy(attributes) }
        guard dnnl_reorder_primitive_desc_create(&pd, &source, OneDNN.engine, &target, OneDNN.engine, attributes) == dnnl_success,
              let pd else { return nil }
        defer { dnnl_primitive_desc_destroy(pd) }
        self.init(pd, arguments: [(OneDNN.from, dnnl_query_src_md, 0), (OneDNN.to, dnnl_query_dst_md, 0)],
                  ownsScratchpads: true)
    }

    deinit {
        for memory in memories.joined() { dnnl_memory_destroy(memory) }
        for stream in streams { dnnl_stream_destroy(stream) }
        for scratchpad in ownScratchpads { scratchpad.deallocate() }
        dnnl_primitive_destroy(primitive)
    }

    /// The memory descriptor of argument `index` of ``arguments``.
    func descriptor(_ index: Int) -> dnnl_memory_desc_t { descriptors[index] }

    /// Makes memory objects and streams for `workers` workers. Call on the calling thread
    /// before workers run (not thread-safe itself).
    func prepare(workers: Int) {
        while memories.count < workers {
            var objects: [dnnl_memory_t] = []
            for var descriptor in descriptors + [OneDNN.bytes(max(scratchpadBytes, 1))] {
                var memory: dnnl_memory_t?
                OneDNN.check(dnnl_memory_create(&memory, &descriptor, OneDNN.engine, nil), "dnnl_memory_create")
                objects.append(memory!)
            }
            memories.append(objects)
            var stream: dnnl_stream_t?
            OneDNN.check(dnnl_stream_create(&stream, OneDNN.engine, dnnl_stream_default_flags.rawValue), "dnnl_stream_create")
            streams.append(stream!)
            if ownsScratchpads && scratchpadBytes > 0 {
                ownScratchpads.append(UnsafeMutableRawPointer.allocate(byteCount: scratchpadBytes, alignment: 64))
            }
        }
    }

    /// Executes the primitive on worker `worker`'s objects with `buffers` bound to
    /// ``arguments`` in order, on this thread. With `scratchpad` nil, the worker's own one
    /// from ``prepare(workers:)`` is used (reorders, which seldom need one).
    func run(worker: Int, _ buffers: [UnsafeMutableRawPointer], scratchpad: UnsafeMutableRawPointer?) {
        precondition(buffers.count == arguments.count && worker < memories.count)
        precondition(scratchpad != nil || ownsScratchpads || scratchpadBytes == 0, "OneDNNPrimitive: no scratchpad given")
        let scratchpad = scratchpad ?? (scratchpadBytes > 0 ? ownScratchpads[worker] : nil)
        phantom_dnnl_use_calling_thread()
        let objects = memories[worker]
        // On the stack: this runs for every image of every convolution.
        withUnsafeTemporaryAllocation(of: dnnl_exec_arg_t.self, capacity: arguments.count + 1) { executionArguments in
            var count = 0
            for (index, buffer) in buffers.enumerated() {
                dnnl_memory_set_data_handle(objects[index], buffer)
                executionArguments[count] = dnnl_exec_arg_t(arg: arguments[index], memory: objects[index])
                count += 1
            }
            if scratchpadBytes > 0, let scratchpad {
                dnnl_memory_set_data_handle(objects[arguments.count], scratchpad)
                executionArguments[count] = dnnl_exec_arg_t(arg: OneDNN.scratchpad, memory: objects[arguments.count])
                count += 1
            }
            OneDNN.check(dnnl_primitive_execute(primitive, streams[worker], Int32(count), executionArguments.baseAddress),
                         "dnnl_primitive_execute")
        }
    }
}

/// oneDNN's CPU engine and the constants Phantom's primitives share.
enum OneDNN {
    nonisolated(unsafe) static let engine: dnnl_engine_t = {
        phantom_dnnl_use_calling_thread()
        var engine: dnnl_engine_t?
        check(dnnl_engine_create(&engine, dnnl_cpu, 0), "dnnl_engine_create")
        return engine!
    }()

    static let from = Int32(DNNL_ARG_FROM), to = Int32(DNNL_ARG_TO), scratchpad = Int32(DNNL_ARG_SCRATCHPAD)

    /// Stops the process with oneDNN's status when a call that cannot fail for valid shapes does.
    static func check(_ status: dnnl_status_t, _ call: String) {
        precondition(status == dnnl_success, "\(call) failed (oneDNN status \(status.rawValue))")
    }

    /// Attributes that make a primitive take its scratchpad from the caller (so that
    /// concurrent executions do not share the library's), or nil if oneDNN refuses.
    static func userScratchpadAttributes() -> dnnl_primitive_attr_t? {
        var attributes: dnnl_primitive_attr_t?
        guard dnnl_primitive_attr_create(&attributes) == dnnl_success, let attributes else { return nil }
        check(dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user), "set_scratchpad_mode")
        return attributes
    }

    /// A plain descriptor of `dimensions` in layout `tag` (`dnnl_format_tag_any`: the primitive's choice).
    static func descriptor(_ dimensions: [Int], _ tag: dnnl_format_tag_t) -> dnnl_memory_desc_t {
        var descriptor = dnnl_memory_desc_t()
        check(dnnl_memory_desc_init_by_tag(&descriptor, Int32(dimensions.count), dimensions.map(Int64.init), dnnl_f32, tag),
              "dnnl_memory_desc_init_by_tag")
        return descriptor
    }

    /// A descriptor of `count` bytes, for a scratchpad.
    static func bytes(_ count: Int) -> dnnl_memory_desc_t {
        var descriptor = dnnl_memory_desc_t()
        check(dnnl_memory_desc_init_by_tag(&descriptor, 1, [Int64(count)], dnnl_u8, dnnl_x), "dnnl_memory_desc_init_by_tag")
        return descriptor
    }

    /// Whether two descriptors describe the same layout.
    static func equal(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
        var a = a, b = b
        return dnnl_memory_desc_equal(&a, &b) != 0
    }

    /// Bytes of a tensor in layout `descriptor` (blocked layouts pad channels).
    static func size(_ descriptor: dnnl_memory_desc_t) -> Int {
        var descriptor = descriptor
        return dnnl_memory_desc_get_size(&descriptor)
    }
}
