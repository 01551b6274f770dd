#!/bin/sh
# As in the upstream registry:2 image: a config file alone means "serve it"
set -e
case "$1" in
  *.yaml|*.yml) set -- registry serve "$@" ;;
  serve|garbage-collect|help|-*) set -- registry "$@" ;;
esac
exec "$@"
