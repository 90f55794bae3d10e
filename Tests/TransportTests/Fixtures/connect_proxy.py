"""A CONNECT proxy on loopback for the Transport tests: python3 connect_proxy.py LOG.

Prints the port it bound, then tunnels each CONNECT and appends "CONNECT host:port" to LOG for every tunnel it
opens, so a test can show that a request went through it. Anything but CONNECT is answered with 405.
"""

import socket
import sys
import threading

log_path = sys.argv[1]
log_lock = threading.Lock()


def pump(source, target):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            target.sendall(data)
    except OSError:
        pass
    finally:
        for s in (source, target):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def handle(client):
    head = b""
    while b"\r\n\r\n" not in head:
        data = client.recv(4096)
        if not data:
            client.close()
            return
        head += data
    request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    method, target = request_line.split(" ")[:2]
    if method != "CONNECT":
        client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
        client.close()
        return
    host, port = target.rsplit(":", 1)
    with log_lock, open(log_path, "a") as log:
        log.write(f"CONNECT {target}\n")
    upstream = socket.create_connection((host, int(port)))
    client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
    pump(client, upstream)


listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(16)
print(listener.getsockname()[1], flush=True)
while True:
    connection, _ = listener.accept()
    threading.Thread(target=handle, args=(connection,), daemon=True).start()
