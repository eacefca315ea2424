#!/bin/sh
# A site-to-site tunnel on Linux: CBC + HMAC-SHA-256 states, in/out/fwd
# policies and an ICMP-only bypass — written fresh for tagflow in the style of
# iproute2's ip-xfrm(8). The fwd policy and the ESP-in-UDP state are things
# the engine does not model: each must be a warning.
ip link set dev eth0 up
ip xfrm state add src 203.0.113.1 dst 203.0.113.2 proto esp spi 0x00000301 mode tunnel \
	replay-window 32 flag af-unspec \
	enc 'cbc(aes)' 0x6f8a3c2b1d0e9f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a \
	auth-trunc 'hmac(sha256)' 0x0a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223242526272829 128 \
	sel src 0.0.0.0/0 dst 0.0.0.0/0
ip xfrm state add src 203.0.113.2 dst 203.0.113.1 proto esp spi 0x00000302 mode tunnel \
	replay-window 32 \
	enc 'cbc(aes)' 0x1f1e1d1c1b1a19181716151413121110 \
	auth-trunc 'hmac(sha256)' 0x2a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40414243444546474849 128
ip xfrm state add src 203.0.113.1 dst 203.0.113.2 proto esp spi 0x00000303 mode tunnel \
	encap espinudp 4500 4500 0.0.0.0 enc 'cbc(aes)' 0x1f1e1d1c1b1a19181716151413121110 auth sha1 0x0102030405060708090a0b0c0d0e0f1011121314

ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir out priority 100 \
	tmpl src 203.0.113.1 dst 203.0.113.2 proto esp mode tunnel level required
ip xfrm policy add src 10.2.0.0/16 dst 10.1.0.0/16 dir in \
	tmpl src 203.0.113.2 dst 203.0.113.1 proto esp mode tunnel
ip xfrm policy add src 10.2.0.0/16 dst 10.1.0.0/16 dir fwd \
	tmpl src 203.0.113.2 dst 203.0.113.1 proto esp mode tunnel
