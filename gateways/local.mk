### gateways/local.mk
