import Glibc
import PatchTestSupport
import Systemd
import Testing

@Suite("Socket activation")
struct SocketActivationTests {
    static let pid: Int32 = 4242

    @Test(
        "valid variables",
        arguments: [
            (["LISTEN_PID": "4242", "LISTEN_FDS": "1"], [ActivatedSocket(fd: 3, name: "unknown")]),
            (
                ["LISTEN_PID": "4242", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "api:metrics"],
                [ActivatedSocket(fd: 3, name: "api"), ActivatedSocket(fd: 4, name: "metrics")]
            ),
            (
                ["LISTEN_PID": "4242", "LISTEN_FDS": "3"],
                [3, 4, 5].map { ActivatedSocket(fd: $0, name: "unknown") }
            ),
            (
                ["LISTEN_PID": "4242", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "api:"],
                [ActivatedSocket(fd: 3, name: "api"), ActivatedSocket(fd: 4, name: "")]
            ),
        ] as [([String: String], [ActivatedSocket])])
    func parsesValid(environment: [String: String], expected: [ActivatedSocket]) throws {
        #expect(try SocketActivation.parse(environment: environment, pid: Self.pid) == expected)
    }

    @Test(
        "variables meant for another process, or absent, give nothing without an error",
        arguments: [
            ["LISTEN_PID": "4243", "LISTEN_FDS": "1"],
            ["LISTEN_PID": "1", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "a:b"],
            ["LISTEN_FDS": "1"],
            [:],
        ] as [[String: String]])
    func notForUs(environment: [String: String]) throws {
        #expect(try SocketActivation.parse(environment: environment, pid: Self.pid) == [])
        #expect(SocketActivation.listenFDs(environment: environment, pid: Self.pid) == [])
    }

    @Test(
        "malformed variables are EINVAL, and listenFDs gives nothing",
        arguments: [
            ["LISTEN_PID": "4242", "LISTEN_FDS": "0"],
            ["LISTEN_PID": "4242", "LISTEN_FDS": "-1"],
            ["LISTEN_PID": "4242", "LISTEN_FDS": "+1"],
            ["LISTEN_PID": "4242", "LISTEN_FDS": "two"],
            ["LISTEN_PID": "4242", "LISTEN_FDS": ""],
            ["LISTEN_PID": "4242"],
            ["LISTEN_PID": "4242", "LISTEN_FDS": "2147483645"],
            ["LISTEN_PID": "4242", "LISTEN_FDS": "99999999999999999999"],
            ["LISTEN_PID": "4242", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "api"],
            ["LISTEN_PID": "4242", "LISTEN_FDS": "1", "LISTEN_FDNAMES": "api:metrics"],
            ["LISTEN_PID": "pid", "LISTEN_FDS": "1"],
            ["LISTEN_PID": "0", "LISTEN_FDS": "1"],
            ["LISTEN_PID": "", "LISTEN_FDS": "1"],
        ] as [[String: String]])
    func malformed(environment: [String: String]) {
        let error = #expect(throws: SystemdError.self) {
            try SocketActivation.parse(environment: environment, pid: Self.pid)
        }
        #expect(error?.errno == EINVAL)
        #expect(SocketActivation.listenFDs(environment: environment, pid: Self.pid) == [])
    }

    @Test("LISTEN_FDS counts from the given start and must stay below the descriptor limit")
    func countsFromStartWithinLimit() throws {
        let limit = Int32(sysconf(Int32(_SC_OPEN_MAX)))
        try #require(limit > 3)
        let fits = ["LISTEN_PID": "4242", "LISTEN_FDS": String(limit - 3)]
        let sockets = try SocketActivation.parse(environment: fits, pid: Self.pid)
        #expect(sockets.count == Int(limit - 3))
        #expect(sockets.last?.fd == limit - 1)
        #expect(throws: SystemdError.self) { try SocketActivation.parse(environment: fits, pid: Self.pid, start: 4) }
        let tooMany = ["LISTEN_PID": "4242", "LISTEN_FDS": String(limit - 2)]
        #expect(throws: SystemdError.self) { try SocketActivation.parse(environment: tooMany, pid: Self.pid) }
    }

    /// Two real sockets (a listening Unix stream socket, a UDP socket) duplicated onto consecutive free descriptors,
    /// without close-on-exec, as the service manager passes them.
    static func passedDescriptors() throws -> (base: Int32, directory: String) {
        let directory = try TestDirectory.make(prefix: "patchd-activation")
        let listener = try DatagramListener.boundSocket(
            type: SOCK_STREAM, pathBytes: Array((directory + "/api.sock").utf8) + [0], listening: true)
        defer { close(listener) }
        let udp = try inetSocket(type: SOCK_DGRAM, listening: false)
        defer { close(udp) }
        for _ in 0..<100 {
            let base = Int32.random(in: 400..<900)
            guard fcntl(base, F_GETFD) == -1, fcntl(base + 1, F_GETFD) == -1 else { continue }
            guard dup2(listener, base) == base else { continue }
            guard dup2(udp, base + 1) == base + 1 else {
                close(base)
                continue
            }
            return (base, directory)
        }
        throw TestSupportError("no two consecutive free descriptors found")
    }

    @Test("listenFDs returns the passed descriptors with their names and makes them close-on-exec")
    func listenFDsOnRealDescriptors() throws {
        let (base, directory) = try Self.passedDescriptors()
        defer {
            close(base)
            close(base + 1)
            unlink(directory + "/api.sock")
            rmdir(directory)
        }
        #expect(fcntl(base, F_GETFD) & FD_CLOEXEC == 0)
        #expect(fcntl(base + 1, F_GETFD) & FD_CLOEXEC == 0)

        let environment = ["LISTEN_PID": String(getpid()), "LISTEN_FDS": "2", "LISTEN_FDNAMES": "api:udp"]
        let sockets = SocketActivation.listenFDs(environment: environment, pid: getpid(), start: base)

        #expect(sockets == [ActivatedSocket(fd: base, name: "api"), ActivatedSocket(fd: base + 1, name: "udp")])
        #expect(fcntl(base, F_GETFD) & FD_CLOEXEC != 0)
        #expect(fcntl(base + 1, F_GETFD) & FD_CLOEXEC != 0)
        #expect(SocketActivation.isUnixStreamListener(fd: base))
        #expect(!SocketActivation.isUnixStreamListener(fd: base + 1))
    }

    @Test("a descriptor that is not open fails the whole set with EBADF")
    func closedDescriptor() throws {
        let base = try #require((600..<900).first { fcntl($0, F_GETFD) == -1 })
        let environment = ["LISTEN_PID": String(getpid()), "LISTEN_FDS": "1"]
        let error = #expect(throws: SystemdError.self) {
            try SocketActivation.checkedListenFDs(environment: environment, pid: getpid(), start: base)
        }
        #expect(error?.errno == EBADF)
        #expect(SocketActivation.listenFDs(environment: environment, pid: getpid(), start: base) == [])
    }

    enum Candidate: String, CaseIterable, Sendable {
        case unixStreamListening, unixStreamAbstractListening, unixStreamNotListening, unixDatagram
        case udp, tcpListening, pipe, closed
    }

    @Test("isUnixStreamListener on real descriptors", arguments: Candidate.allCases)
    func isUnixStreamListener(candidate: Candidate) throws {
        let directory = try TestDirectory.make(prefix: "patchd-listener")
        defer {
            unlink(directory + "/s")
            rmdir(directory)
        }
        let path = Array((directory + "/s").utf8) + [0]
        let abstract = [0] + Array("patchd-test-listener-\(getpid())-\(UInt64.random(in: 0...UInt64.max))".utf8)
        var extra: Int32 = -1
        let fd: Int32
        switch candidate {
        case .unixStreamListening:
            fd = try DatagramListener.boundSocket(type: SOCK_STREAM, pathBytes: path, listening: true)
        case .unixStreamAbstractListening:
            fd = try DatagramListener.boundSocket(type: SOCK_STREAM, pathBytes: abstract, listening: true)
        case .unixStreamNotListening:
            fd = try DatagramListener.boundSocket(type: SOCK_STREAM, pathBytes: path)
        case .unixDatagram:
            fd = try DatagramListener.boundSocket(type: SOCK_DGRAM, pathBytes: path)
        case .udp:
            fd = try inetSocket(type: SOCK_DGRAM, listening: false)
        case .tcpListening:
            fd = try inetSocket(type: SOCK_STREAM, listening: true)
        case .pipe:
            (fd, extra) = try makePipe()
        case .closed:
            fd = try #require((600..<900).first { fcntl($0, F_GETFD) == -1 })
        }
        defer {
            if candidate != .closed { close(fd) }
            if extra >= 0 { close(extra) }
        }
        let expected = candidate == .unixStreamListening || candidate == .unixStreamAbstractListening
        #expect(SocketActivation.isUnixStreamListener(fd: fd) == expected)
    }

    @Test("unsetEnvironment removes LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES and nothing else")
    func unsetEnvironment() {
        setenv("LISTEN_PID", "1", 1)
        setenv("LISTEN_FDS", "1", 1)
        setenv("LISTEN_FDNAMES", "api", 1)
        let neighbour = "PATCHD_TEST_LISTEN_NEIGHBOUR_\(getpid())"
        setenv(neighbour, "kept", 1)
        defer { unsetenv(neighbour) }

        SocketActivation.unsetEnvironment()

        #expect(getenv("LISTEN_PID") == nil)
        #expect(getenv("LISTEN_FDS") == nil)
        #expect(getenv("LISTEN_FDNAMES") == nil)
        #expect(getenv(neighbour).map { String(cString: $0) } == "kept")
    }
}
