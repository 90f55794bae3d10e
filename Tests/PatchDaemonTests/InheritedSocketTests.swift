import Foundation
import PatchDaemon
import PatchTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A socket systemd passes (patchd.socket) is shared with the socket unit: stopping patchd must leave it listening,
/// or the unit fails ("Got POLLHUP on a listening socket") and the restarted patchd has no socket to serve on.
@Suite("UnixSocketServer on a socket systemd passed")
struct InheritedSocketTests {
    static func server(on fd: Int32) throws -> UnixSocketServer {
        try UnixSocketServer(listeningDescriptor: dup(fd)) { _ in .json(200, "{\"ok\": true}") }
    }

    @Test("stop leaves the socket listening; the next server on it (a restart) serves")
    func stopKeepsTheSocket() throws {
        let directory = try TestDirectory.make(prefix: "patchd-inherited")
        defer { try? TestDirectory.remove(directory) }
        let path = directory + "/patchd.sock"
        // The socket unit's own copy; the server gets a duplicate, as patchd gets the descriptor systemd passes.
        let unitCopy = try UnixSocketFixture.bound(.stream, pathBytes: Array(path.utf8) + [0], listening: true)
        defer { close(unitCopy) }

        let first = try Self.server(on: unitCopy)
        first.start()
        #expect(try UnixHTTPClient.request(path, "/v1/status").status == 200)
        first.stop()

        // Still listening: shut down, the socket would refuse the next client (and fail systemd's unit).
        var optionValue: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        #expect(getsockopt(unitCopy, SOL_SOCKET, SO_ACCEPTCONN, &optionValue, &length) == 0 && optionValue == 1)
        let second = try Self.server(on: unitCopy)
        second.start()
        defer { second.stop() }
        #expect(try UnixHTTPClient.request(path, "/v1/status").status == 200)
    }

    @Test("after stop the server accepts nothing more; the connection waits for the next server")
    func stopStopsAccepting() throws {
        let directory = try TestDirectory.make(prefix: "patchd-inherited")
        defer { try? TestDirectory.remove(directory) }
        let path = directory + "/patchd.sock"
        let unitCopy = try UnixSocketFixture.bound(.stream, pathBytes: Array(path.utf8) + [0], listening: true)
        defer { close(unitCopy) }
        let server = try Self.server(on: unitCopy)
        server.start()
        #expect(try UnixHTTPClient.request(path, "/v1/status").status == 200)
        server.stop()
        usleep(100_000)
        // Nobody answers now (the request times out); the connection stays queued on the socket.
        #expect(throws: (any Error).self) { try UnixHTTPClient.request(path, "/v1/status", timeoutSeconds: 1) }
    }
}
