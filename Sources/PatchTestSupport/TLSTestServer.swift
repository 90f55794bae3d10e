import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real HTTPS server on loopback for tests: a CA and a server certificate made with the openssl CLI, served by
/// Python's http.server with ssl. Serves files from `root`, plus `/slow` (never answers within the test's timeout),
/// `/flaky-N` (503 until the Nth request, then 200 "ok") and `/status-CODE`.
public final class TLSTestServer: @unchecked Sendable {
    // Everything is set in init; the process is stopped in deinit.
    public let directory: String
    public let root: String
    public let caFile: String
    public let port: Int
    private let process: Process

    public var baseURL: String { "https://localhost:\(port)" }

    static let script = """
        import http.server, ssl, sys, time, os
        root, cert, key = sys.argv[1], sys.argv[2], sys.argv[3]
        counts = {}
        class H(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **k): super().__init__(*a, directory=root, **k)
            def log_message(self, *a): pass
            def do_GET(self):
                if self.path == "/slow":
                    time.sleep(30); return
                if self.path.startswith("/flaky-"):
                    n = int(self.path.split("-")[1]); counts[self.path] = counts.get(self.path, 0) + 1
                    code = 200 if counts[self.path] >= n else 503
                    self.send_response(code); self.send_header("Content-Length", "2"); self.end_headers()
                    self.wfile.write(b"ok"); return
                if self.path.startswith("/status-"):
                    self.send_response(int(self.path.split("-")[1])); self.send_header("Content-Length", "0")
                    self.end_headers(); return
                super().do_GET()
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """

    public init() throws {
        directory = try TestDirectory.make(prefix: "patchd-tls")
        root = directory + "/www"
        try TestDirectory.makeDirectories(root)
        caFile = directory + "/ca.pem"
        let d = directory
        try TestProcess.runChecked(
            [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                d + "/ca.key", "-out", caFile, "-days", "2", "-subj", "/CN=patchd test CA",
            ], timeout: .seconds(30))
        try TestDirectory.write(
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n", to: d + "/ext.cnf")
        try TestProcess.runChecked(
            [
                "openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                d + "/server.key", "-out", d + "/server.csr", "-subj", "/CN=localhost",
            ], timeout: .seconds(30))
        try TestProcess.runChecked(
            [
                "openssl", "x509", "-req", "-in", d + "/server.csr", "-CA", caFile, "-CAkey", d + "/ca.key",
                "-CAcreateserial", "-out", d + "/server.pem", "-days", "2", "-extfile", d + "/ext.cnf",
            ],
            timeout: .seconds(30))
        try TestDirectory.write(TLSTestServer.script, to: d + "/server.py")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [d + "/server.py", root, d + "/server.pem", d + "/server.key"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The first line is the port it bound.
        var line = [UInt8]()
        while let byte = try pipe.fileHandleForReading.read(upToCount: 1), let b = byte.first, b != 0x0A {
            line.append(b)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            kill(process.processIdentifier, SIGKILL)
            throw TestSupportError("the TLS test server did not start")
        }
        self.port = port
    }

    public func serve(_ path: String, _ contents: String) throws {
        try TestDirectory.write(contents, to: root + "/" + path)
    }

    deinit {
        // SIGKILL: a child of the test runner may inherit a mask that blocks SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? TestDirectory.remove(directory)
    }
}
