### config: examples for an installation (the YAML files are listed by app/conf)
EXTRA_DIST += config/systemd/portald.service
