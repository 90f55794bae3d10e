import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real HTTPS server on loopback for tests: a CA and a server certificate made with the openssl CLI, served by
/// Python's http.server with ssl. Serves files from `root`, plus `/slow` (never answers within the test's timeout),
/// `/flaky-N` (503 until the Nth request, then 200 "ok") and `/status-CODE`.
///
/// Another server script may be given: it is run as `python3 SCRIPT ROOT CERT KEY CA ARGUMENTS…` and prints the
/// port it bound as its first line. The CA also signs a client certificate (`clientCertificateFile`,
/// `clientKeyFile`) for servers that ask for one.
public final class TLSTestServer: @unchecked Sendable {
    // Everything is set in init; the process is stopped in deinit.
    public let directory: String
    public let root: String
    public let caFile: String
    public let port: Int
    /// A certificate for `CN=patchd test client`, signed by the test CA, and its key.
    public let clientCertificateFile: String
    public let clientKeyFile: String
    /// The server's public key as a PEM file, and as the `sha256//<base64>` pin of its SubjectPublicKeyInfo.
    public let serverPublicKeyFile: String
    public let serverPublicKeyPin: String
    private let process: PythonServerProcess

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

    /// Makes the CA and the certificates, and starts `script` (default: the file server above).
    public init(script: String? = nil, arguments: [String] = []) throws {
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
        clientCertificateFile = d + "/client.pem"
        clientKeyFile = d + "/client.key"
        try TestProcess.runChecked(
            [
                "openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                clientKeyFile, "-out", d + "/client.csr", "-subj", "/CN=patchd test client",
            ], timeout: .seconds(30))
        try TestProcess.runChecked(
            [
                "openssl", "x509", "-req", "-in", d + "/client.csr", "-CA", caFile, "-CAkey", d + "/ca.key",
                "-CAcreateserial", "-out", clientCertificateFile, "-days", "2",
            ],
            timeout: .seconds(30))
        serverPublicKeyFile = d + "/server-public.pem"
        try TestProcess.runChecked(
            ["openssl", "pkey", "-in", d + "/server.key", "-pubout", "-out", serverPublicKeyFile],
            timeout: .seconds(30))
        try TestProcess.runChecked(
            [
                "openssl", "pkey", "-pubin", "-in", serverPublicKeyFile, "-outform", "DER", "-out",
                d + "/server-public.der",
            ],
            timeout: .seconds(30))
        try TestProcess.runChecked(
            ["openssl", "dgst", "-sha256", "-binary", "-out", d + "/server-public.sha256", d + "/server-public.der"],
            timeout: .seconds(30))
        let digest = try Data(contentsOf: URL(fileURLWithPath: d + "/server-public.sha256"))
        serverPublicKeyPin = "sha256//" + digest.base64EncodedString()
        try TestDirectory.write(TLSTestServer.script, to: d + "/server.py")
        process = try PythonServerProcess(
            script: script ?? d + "/server.py",
            arguments: [root, d + "/server.pem", d + "/server.key", caFile] + arguments, stderrFile: d + "/stderr")
        port = process.port
    }

    public func serve(_ path: String, _ contents: String) throws {
        try TestDirectory.write(contents, to: root + "/" + path)
    }

    deinit {
        try? TestDirectory.remove(directory)
    }
}
