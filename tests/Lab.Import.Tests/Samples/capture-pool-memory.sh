#!/usr/bin/env bash
# How the smem and smaps_rollup fixtures in this folder were captured (run as root, by hand; the
# tests only read the files): a real php-fpm 8.2 pool "shop" with opcache on, 4 static children,
# pm.max_requests = 20, a script that leaks 512 KiB per request through FFI and loads 60 classes
# (opcache's shared memory), driven at 8 requests/s by tests/Lab.Record.Tests/Assets/fcgi-client.php;
# meanwhile the operator's commands, repeated once a second:
#   smem -P php-fpm            (KiB)         → smem-php-fpm.txt        (with a `date` line before each)
#   smem -k -t -P php-fpm      (units, totals) → smem-k-php-fpm.txt      (no timestamps)
#   for p in $(pgrep php-fpm); do echo $p; cat /proc/$p/smaps_rollup; done
#                                             → smaps-rollup-php-fpm.txt (no separators: a PID repeats)
# smaps-rollup-titled-php-fpm.txt: an idle pool of 3 static children (no opcache, no load), 3 rounds of
#   date; for p in $(pgrep php-fpm); do echo $p $(ps -o args= -p $p); cat /proc/$p/smaps_rollup; done
# (the title beside each PID gives the roles).
# The filter is narrowed to this pool (other php-fpm pools may run on the machine).
#   usage: capture-pool-memory.sh OUTDIR [SNAPSHOTS]
set -euo pipefail
out=${1:?usage: capture-pool-memory.sh OUTDIR [SNAPSHOTS]}; n=${2:-12}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/leaklab-capture-XXXXXX); chmod 755 "$dir"; mkdir -p "$dir/www" "$out"
trap 'kill -TERM $(cat "$dir/php-fpm.pid" 2>/dev/null) 2>/dev/null || true; sleep 1; rm -rf "$dir"' EXIT
for i in $(seq 1 60); do
  printf '<?php\nclass ShopModel%d {\n  public const NAME = "%s";\n  public function total(array $a): int { $s = 0; foreach ($a as $v) { $s += $v * %d; } return $s; }\n  public function label(): string { return str_repeat(self::NAME, 3); }\n}\n' \
    "$i" "$(head -c 3000 /dev/zero | tr '\0' 'x')$i" "$i" > "$dir/www/model$i.php"
done
cat > "$dir/www/app.php" <<'PHP'
<?php
for ($i = 1; $i <= 60; $i++) { require_once __DIR__ . "/model$i.php"; $c = "ShopModel$i"; (new $c)->total([1, 2, 3]); }
$libc = FFI::cdef('void *malloc(size_t size); void *memset(void *s, int c, size_t n);');
$p = $libc->malloc(512 * 1024); $libc->memset($p, 1, 512 * 1024);
echo "ok ", getmypid(), "\n";
PHP
chmod 644 "$dir"/www/*.php
cat > "$dir/php-fpm.conf" <<CONF
[global]
pid = $dir/php-fpm.pid
error_log = $dir/php-fpm.log
daemonize = yes
[shop]
user = www-data
group = www-data
listen = $dir/php-fpm.sock
listen.mode = 0666
pm = static
pm.max_children = 4
pm.max_requests = 20
CONF
cat > "$dir/php.ini" <<INI
extension = ffi
ffi.enable = 1
zend_extension = opcache
opcache.enable = 1
opcache.memory_consumption = 64
opcache.validate_timestamps = 0
INI
PHP_INI_SCAN_DIR= php-fpm8.2 -y "$dir/php-fpm.conf" -c "$dir/php.ini"
sleep 1
filter="php-fpm: (pool shop|master process \\($dir)"
PHP_INI_SCAN_DIR= php8.2 "$here/../../Lab.Record.Tests/Assets/fcgi-client.php" "$dir/php-fpm.sock" "$dir/www/app.php" $((n * 8 + 40)) 8 >/dev/null &
load=$!
sleep 2
: > "$out/smem-php-fpm.txt"; : > "$out/smem-k-php-fpm.txt"; : > "$out/smaps-rollup-php-fpm.txt"
for s in $(seq 1 "$n"); do
  { date; smem -P "$filter"; } >> "$out/smem-php-fpm.txt"
  smem -k -t -P "$filter" >> "$out/smem-k-php-fpm.txt"
  for p in $(pgrep -f "$filter"); do echo $p; cat /proc/$p/smaps_rollup; done >> "$out/smaps-rollup-php-fpm.txt" 2>&1
  sleep 1
done
wait $load || true
