### app/conf: YAML tree loader (libyaml), table-driven binder, portal.yaml
### and practice configuration, `portalctl config check`.
libportal_a_SOURCES += app/conf/conf.h
