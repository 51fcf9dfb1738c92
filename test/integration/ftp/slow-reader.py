"""A download client slower than the server's send buffer is deep (slow-reader.test.ts).

Connects to 127.0.0.1:PORT with a 4 KiB receive buffer (Node cannot set SO_RCVBUF on a TCP
socket), says "connected", then reads at BYTES_PER_SECOND until the server closes, and prints the
byte count. With so small a window the server's kernel holds the rest of its send buffer (MiBs),
which it drains at this pace while the server's Node process has nothing to write.
"""
import socket
import sys
import time

port, rate = int(sys.argv[1]), int(sys.argv[2])
data = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
data.connect(("127.0.0.1", port))
print("connected", flush=True)
received, started = 0, time.monotonic()
while True:
    chunk = data.recv(4096)
    if not chunk:
        break
    received += len(chunk)
    ahead = received / rate - (time.monotonic() - started)
    if ahead > 0:
        time.sleep(ahead)
print(received, flush=True)
