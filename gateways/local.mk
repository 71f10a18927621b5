### gateways: the installed plugin ABI (gateway.h + portal-gateway.pc), the
### sandbox plugin, the out-of-tree example, and their tests.
include_HEADERS += gateways/gateway.h
pkgconfig_DATA += gateways/portal-gateway.pc
EXTRA_DIST += gateways/portal-gateway.pc.in
