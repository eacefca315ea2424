#!/bin/sh
# The lo0 setup of the 2003 NetBSD report (seeds 000/001) as a shell script
# that feeds setkey a heredoc — written fresh for tagflow.
set -e
sysctl -w net.inet.ipsec.def_policy=1
setkey -c <<EOF2
flush;
spdflush;
add 127.0.0.1 127.0.0.1 esp 0x1000 -m transport -r 8
    -E aes-gcm-16 0x0123456789abcdef0123456789abcdefcafebabe ;
spdadd 127.0.0.1 127.0.0.1 icmp -P out ipsec esp/transport//require ;
spdadd 127.0.0.1 127.0.0.1 icmp -P in ipsec esp/transport//require ;
EOF2
ping -c 3 127.0.0.1
