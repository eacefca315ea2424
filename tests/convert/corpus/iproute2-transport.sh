#!/bin/sh
# Host-to-host ESP in transport mode with ip xfrm, in the style of the
# EXAMPLES of ip-xfrm(8) (iproute2) — written fresh for tagflow.
ip xfrm state flush
ip xfrm policy flush

ip xfrm state add src 198.51.100.7 dst 198.51.100.9 proto esp spi 0x5a5a0001 \
	reqid 1 mode transport replay-window 32 \
	aead 'rfc4106(gcm(aes))' 0x0011223344556677889900112233445566778899aabbccddeeff0011deadbeef01020304 128
ip xfrm state add src 198.51.100.9 dst 198.51.100.7 proto esp spi 0x5a5a0002 \
	reqid 1 mode transport replay-window 32 \
	aead 'rfc4106(gcm(aes))' 0xffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100cafe0001 128

ip xfrm policy add src 198.51.100.7/32 dst 198.51.100.9/32 dir out \
	tmpl proto esp reqid 1 mode transport
ip xfrm policy add src 198.51.100.9/32 dst 198.51.100.7/32 dir in \
	tmpl proto esp reqid 1 mode transport level required
ip xfrm state list
