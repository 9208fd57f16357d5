"""A real HTTPS server on loopback standing in for a form provider's file storage (Typeform, Tally).

`file_server()` starts one on 127.0.0.1 at a free port with a certificate from a throwaway CA (both made
here with `cryptography`), and answers:

    /files/<name>          the bytes in `server.files[name]` (Content-Length given)
    /chunked/<name>        the same without Content-Length (chunked), so only the client's own count stops it
    /endless               chunked, without end (counts what it managed to send in `server.sent`)
    /typeform/<name>       like /files/, but 401 unless `Authorization: Bearer <server.token>`
    /redirect?to=<url>     302 to the URL
    /slow                  waits 3 s before answering
    anything else          404

Requests (path and headers) are recorded in `server.requests`. Point the client at the CA with
SSL_CERT_FILE=server.ca_file (httpx reads it).
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate, server key) for 127.0.0.1 and localhost."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "involve test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        srv = self.server
        parts = urlsplit(self.path)
        srv.requests.append((parts.path, dict(self.headers)))
        kind, _, name = parts.path.strip("/").partition("/")
        if kind == "files" and name in srv.files:
            return self._send(200, srv.files[name])
        if kind == "typeform" and name in srv.files:
            if self.headers.get("Authorization") != f"Bearer {srv.token}":
                return self._send(401, b"unauthorised")
            return self._send(200, srv.files[name])
        if kind == "chunked" and name in srv.files:
            return self._chunked(iter([srv.files[name]]))
        if kind == "endless":
            return self._chunked(iter(lambda: b"\xff" * 65536, None))
        if kind == "redirect":
            self.send_response(302)
            self.send_header("Location", parse_qs(parts.query)["to"][0])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if kind == "slow":
            time.sleep(3)
            return self._send(200, b"late")
        return self._send(404, b"not found")

    def _send(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _chunked(self, chunks) -> None:
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for chunk in chunks:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.server.sent += len(chunk)
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True


class FileServer(ThreadingHTTPServer):
    daemon_threads = True
    files: dict[str, bytes]
    requests: list
    token = "tfp_test_personal_token"
    sent = 0
    ca_file: Path
    base: str

    def handle_error(self, request, client_address) -> None:  # a client that hung up or refused our CA
        pass


@contextmanager
def file_server(folder: Path):
    ca, cert, key = make_certificates(folder)
    server = FileServer(("127.0.0.1", 0), _Handler)
    server.files, server.requests, server.ca_file = {}, [], ca
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.base = f"https://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
