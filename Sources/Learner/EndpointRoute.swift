import Foundation
import NIOHTTP1

/// What each path of the learner's HTTP endpoint answers. `/metrics` is the Prometheus exposition exactly as it
/// always was; the others are read from the same counters (`RunStatus`).
enum EndpointRoute {
    case metrics, status, page, health, readiness, video
    case notFound
    case methodNotAllowed

    struct Response {
        var status: HTTPResponseStatus
        var contentType: String
        var body: [UInt8]
        /// Live values: a browser or proxy must not answer from a cache.
        var uncached = false

        init(status: HTTPResponseStatus, contentType: String, body: String, uncached: Bool = false) {
            self.init(status: status, contentType: contentType, bytes: Array(body.utf8), uncached: uncached)
        }

        init(status: HTTPResponseStatus, contentType: String, bytes: [UInt8], uncached: Bool = false) {
            self.status = status
            self.contentType = contentType
            body = bytes
            self.uncached = uncached
        }
    }

    init(_ request: HTTPRequestHead) {
        let path = request.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        guard request.method == .GET || request.method == .HEAD else {
            self = .methodNotAllowed
            return
        }
        switch path {
        case "/metrics": self = .metrics
        case "/status.json": self = .status
        case "/", "/index.html": self = .page
        case "/healthz": self = .health
        case "/readyz": self = .readiness
        case "/eval.gif": self = .video
        default: self = .notFound
        }
    }

    static let text = "text/plain; version=0.0.4; charset=utf-8"

    /// `listening`: the worker port is bound (readiness also needs the run not to be stopping).
    func response(core: LearnerCore, listening: Bool) async -> Response {
        switch self {
        case .metrics:
            return Response(status: .ok, contentType: Self.text, body: await core.currentMetrics().prometheusText())
        case .status:
            let status = await core.status()
            let body = (try? RunStatus.encoder().encode(status)).map { String(decoding: $0, as: UTF8.self) }
            guard let body else { return Response(status: .internalServerError, contentType: Self.text, body: "status could not be encoded\n") }
            return Response(status: .ok, contentType: "application/json", body: body, uncached: true)
        case .page:
            return Response(status: .ok, contentType: "text/html; charset=utf-8", body: StatusPage.html, uncached: true)
        case .health:
            return Response(status: .ok, contentType: Self.text, body: "ok\n", uncached: true)
        case .readiness:
            let state = await core.runState
            guard listening, state != "stopping", state != "stopped" else {
                return Response(status: .serviceUnavailable, contentType: Self.text,
                                body: listening ? "\(state)\n" : "not yet listening for workers\n", uncached: true)
            }
            return Response(status: .ok, contentType: Self.text, body: "ready (\(state))\n", uncached: true)
        case .video:
            guard let video = await core.latestVideo else {
                return Response(status: .notFound, contentType: Self.text, body: "no evaluation video yet (the learner records one with --eval-video)\n", uncached: true)
            }
            return Response(status: .ok, contentType: "image/gif", bytes: video.gif, uncached: true)
        case .notFound:
            return Response(status: .notFound, contentType: Self.text, body: "the learner serves /, /status.json, /metrics, /eval.gif, /healthz and /readyz\n")
        case .methodNotAllowed:
            return Response(status: .methodNotAllowed, contentType: Self.text, body: "only GET and HEAD\n")
        }
    }
}
