import NIOCore

/// Hello (worker → learner), PROTOCOL.md §4.1.
extension Hello: PayloadCodable {
    func encode(into w: inout PayloadWriter) {
        w.integer(minVersion)
        w.integer(maxVersion)
        w.string(workerID, maxBytes: WireProtocol.maxIDBytes)
        w.string(envID, maxBytes: WireProtocol.maxEnvIDBytes)
        w.integer(envSignature)
        w.integer(numEnvs)
        w.integer(capabilities)
    }

    static func decode(from r: inout PayloadReader) throws(WireError) -> Hello {
        let minV = try r.integer("min_version", as: UInt16.self)
        let maxV = try r.integer("max_version", as: UInt16.self)
        guard minV >= 1, maxV >= minV else { throw r.fail("version range \(minV)...\(maxV) is empty or starts at 0") }
        let worker = try r.string("worker_id", maxBytes: WireProtocol.maxIDBytes)
        guard !worker.isEmpty, worker.utf8.allSatisfy(MessageCodec.isIDByte) else {
            throw r.fail("worker_id must be 1–64 characters of A–Z a–z 0–9 . _ -")
        }
        let env = try r.string("env_id", maxBytes: WireProtocol.maxEnvIDBytes)
        let signature = try r.integer("env_signature", as: UInt64.self)
        guard !env.isEmpty || signature == 0 else { throw r.fail("env_signature must be 0 when env_id is empty") }
        let k = try r.integer("num_envs", as: UInt16.self)
        guard (1...4096).contains(k) else { throw r.fail("num_envs \(k) is outside 1–4096") }
        let caps = try r.integer("capabilities", as: UInt32.self)
        guard caps == 0 else { throw r.fail("capabilities 0x\(String(caps, radix: 16)) sets reserved bits") }
        return Hello(minVersion: minV, maxVersion: maxV, workerID: worker, envID: env, envSignature: signature, numEnvs: k, capabilities: caps)
    }
}
