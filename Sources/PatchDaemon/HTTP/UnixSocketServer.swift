import CPatchdShims
import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A small HTTP/1.1 server on a Unix stream socket.
///
/// Written for this job instead of a general server framework: it must read each client's credentials from the
/// kernel (SO_PEERCRED) to authorize it, and an idle agent should cost almost no memory. Blocking sockets on plain
/// threads (an accept thread, a bounded set of connection workers) with receive/send timeouts, so a slow or hostile
/// client holds one worker at most until its timeout; handlers are async and run on Swift's concurrency pool.
public final class UnixSocketServer: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    private let listener: Int32
    /// A pipe whose write end `stop()` closes, waking the accept thread that polls its read end beside the listener.
    /// shutdown() cannot do that job: a socket systemd passes is shared with the socket unit, and shutting it down
    /// ends it for systemd too (the unit fails with "Got POLLHUP on a listening socket" and a restarted patchd finds
    /// no socket).
    private let wake: (read: Int32, write: Int32)
    private let handler: Handler
    private let workers: DispatchSemaphore
    private let stopped = Atomic<Bool>(false)
    private let started = Atomic<Bool>(false)
    private let idleTimeout: Int
    public let path: String?

    /// Serves on an already-listening socket (socket activation); `stop()` leaves the socket itself listening.
    public init(
        listeningDescriptor fd: Int32, maximumConnections: Int = 64, idleTimeoutSeconds: Int = 30,
        handler: @escaping Handler
    ) throws(Failure) {
        wake = try Self.wakePipe()
        listener = fd
        self.handler = handler
        workers = DispatchSemaphore(value: maximumConnections)
        idleTimeout = idleTimeoutSeconds
        path = nil
    }

    /// Binds `path` itself: a stale socket file is replaced, one in use is an error; mode and group as given.
    public init(
        path: String, mode: UInt32 = 0o660, group: String? = nil, maximumConnections: Int = 64,
        idleTimeoutSeconds: Int = 30, handler: @escaping Handler
    ) throws(Failure) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw Failure(description: "\(path): socket path too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        if UnixSocketServer.isInUse(path) {
            throw Failure(description: "\(path): another process is already serving on this socket")
        }
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw Failure(description: "\(path): bind: \(message)")
        }
        if let group, let entry = getgrnam(group) {
            _ = chown(path, 0, entry.pointee.gr_gid)
        }
        chmod(path, mode_t(mode))
        guard listen(fd, 128) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw Failure(description: "\(path): listen: \(message)")
        }
        do {
            wake = try Self.wakePipe()
        } catch {
            close(fd)
            throw error
        }
        listener = fd
        self.handler = handler
        workers = DispatchSemaphore(value: maximumConnections)
        idleTimeout = idleTimeoutSeconds
        self.path = path
    }

    private static func wakePipe() throws(Failure) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard patchd_pipe_cloexec(&fds) == 0 else {
            throw Failure(description: "pipe2: \(String(cString: strerror(errno)))")
        }
        return (fds[0], fds[1])
    }

    /// Whether something accepts connections on `path` now.
    static func isInUse(_ path: String) -> Bool {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }

    /// Accepts connections on a dedicated thread until `stop()`; call it once.
    public func start() {
        started.store(true, ordering: .sequentiallyConsistent)
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "patchd-accept"
        thread.start()
    }

    /// Stops accepting; connections in progress finish their current request. The accept thread closes the
    /// listening descriptor as it leaves: a socket this server bound goes away (its path is removed here), one systemd
    /// passed stays open in systemd, listening for the next start.
    public func stop() {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
        if let path { unlink(path) }
        close(wake.write)
        if !started.load(ordering: .sequentiallyConsistent) {
            close(listener)
            close(wake.read)
        }
    }

    private func acceptLoop() {
        defer {
            close(listener)
            close(wake.read)
        }
        var events = [
            pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0),
        ]
        while !stopped.load(ordering: .sequentiallyConsistent) {
            // Blocks without a timeout: an idle daemon does not wake up.
            let ready = poll(&events, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            if events[1].revents != 0 || stopped.load(ordering: .sequentiallyConsistent) { return }
            if events[0].revents & Int16(POLLIN) == 0 {
                if events[0].revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 { return }
                continue
            }
            let client = patchd_accept_cloexec(listener)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if stopped.load(ordering: .sequentiallyConsistent) { return }
                if errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM {
                    usleep(100_000)  // out of descriptors: back off instead of spinning
                    continue
                }
                return
            }
            workers.wait()
            // A thread per connection (at most `maximumConnections`): a connection blocks its thread while it
            // waits for the client, and a shared pool would keep other clients waiting meanwhile.
            let thread = Thread { [self] in
                serve(client)
                close(client)
                workers.signal()
            }
            thread.stackSize = 256 << 10
            thread.start()
        }
    }

    static func peerCredentials(_ fd: Int32) -> PeerCredentials? {
        var pid: pid_t = 0
        var uid: uid_t = 0
        var gid: gid_t = 0
        guard patchd_peer_credentials(fd, &pid, &uid, &gid) == 0 else { return nil }
        return PeerCredentials(pid: pid, uid: uid, gid: gid)
    }

    private func setTimeout(_ fd: Int32, seconds: Int) {
        var tv = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    private func serve(_ fd: Int32) {
        guard let peer = UnixSocketServer.peerCredentials(fd) else { return }
        setTimeout(fd, seconds: idleTimeout)
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while !stopped.load(ordering: .relaxed) {
            // Parse what we have; read more only when needed.
            switch HTTPRequestParser.parse(buffer) {
            case .incomplete:
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    // Closed, or timed out: a request cut short gets 408 if it had started.
                    if n < 0 && !buffer.isEmpty {
                        write(
                            fd, .json(408, #"{"error": "timeout", "message": "request not completed in time"}"#),
                            keepAlive: false)
                    }
                    return
                }
                buffer.append(contentsOf: chunk[0..<n])
            case .failure(let status, let message):
                write(
                    fd, .json(status, UnixSocketServer.errorJSON(code: "BadRequest", message: message)),
                    keepAlive: false)
                return
            case .request(let method, let target, let headers, let body, let used):
                buffer.removeFirst(used)
                let (path, query) = HTTPRequestParser.splitTarget(target)
                let request = HTTPRequest(
                    method: method, path: path, query: query, headers: headers, body: body, peer: peer)
                let response = call(request)
                let close = request.header("Connection")?.lowercased() == "close"
                guard write(fd, response, keepAlive: !close) else { return }
                if close { return }
            }
        }
    }

    /// Runs the async handler from this worker thread and waits for its answer.
    private func call(_ request: HTTPRequest) -> HTTPResponse {
        let done = DispatchSemaphore(value: 0)
        let handler = self.handler
        let result = ResponseSlot()
        Task {
            result.set(await handler(request))
            done.signal()
        }
        done.wait()
        return result.get() ?? .json(500, UnixSocketServer.errorJSON(code: "InternalError", message: "no response"))
    }

    static func errorJSON(code: String, message: String) -> String {
        var out = "{\"error\": "
        out += quote(code)
        out += ", \"message\": "
        out += quote(message)
        return out + "}"
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Writes a response; false when the peer is gone.
    @discardableResult
    private func write(_ fd: Int32, _ response: HTTPResponse, keepAlive: Bool) -> Bool {
        var head = "HTTP/1.1 \(response.status) \(HTTPResponse.reason(response.status))\r\n"
        for h in response.headers { head += "\(h.name): \(h.value)\r\n" }
        head += keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n"
        switch response.body {
        case .bytes(let body):
            head += "Content-Length: \(body.count)\r\n\r\n"
            return sendAll(fd, Array(head.utf8) + body)
        case .stream(let next):
            head += "Transfer-Encoding: chunked\r\nCache-Control: no-cache\r\n\r\n"
            guard sendAll(fd, Array(head.utf8)) else { return false }
            while true {
                let slot = ResponseBytesSlot()
                let done = DispatchSemaphore(value: 0)
                Task {
                    slot.set(await next())
                    done.signal()
                }
                done.wait()
                guard let bytes = slot.get() else { break }
                if bytes.isEmpty { continue }
                let size = String(bytes.count, radix: 16)
                guard sendAll(fd, Array("\(size)\r\n".utf8) + bytes + [0x0D, 0x0A]) else { return false }
            }
            return sendAll(fd, Array("0\r\n\r\n".utf8))
        }
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }
}

/// One response handed from a handler task to the waiting worker thread.
final class ResponseSlot: Sendable {
    private let value = Mutex<HTTPResponse?>(nil)
    func set(_ r: HTTPResponse) { value.withLock { $0 = r } }
    func get() -> HTTPResponse? { value.withLock { $0 } }
}

final class ResponseBytesSlot: Sendable {
    private let value = Mutex<[UInt8]?>(nil)
    func set(_ r: [UInt8]?) { value.withLock { $0 = r } }
    func get() -> [UInt8]? { value.withLock { $0 } }
}
