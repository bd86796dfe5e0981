# Sourced by ./mvnw25 and ./jdax: exports JAVA_HOME pointing at a JDK 25 or newer.
jdk_feature() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }
jdk25_ok() { [ -x "$1/bin/javac" ] && [ "$(jdk_feature "$1")" -ge 25 ] 2>/dev/null; }
if [ -z "${JAVA_HOME:-}" ] || ! jdk25_ok "$JAVA_HOME"; then
  JAVA_HOME=
  for candidate in /usr/lib/jvm/temurin-25* /usr/lib/jvm/*-25* /usr/lib/jvm/*; do
    if [ -d "$candidate" ] && jdk25_ok "$candidate"; then JAVA_HOME=$candidate; break; fi
  done
fi
if [ -z "$JAVA_HOME" ]; then
  echo "jdax needs JDK 25 or newer: install Temurin 25 (e.g. apt-get install temurin-25-jdk) or set JAVA_HOME to a JDK 25." >&2
  exit 1
fi
export JAVA_HOME
