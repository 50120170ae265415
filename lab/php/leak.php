<?php
// Leak Lab's request handler for engine = "php-fpm" (the dotnet engine's worker answers the
// same query string the same way). One request:
//
//   leak_kb       KiB malloc()ed through FFI, every page touched, never freed: a C-level leak,
//                 like a leaking extension. PHP's memory_limit does not see it, and it outlives
//                 the request: only the end of the process gives it back (pm.max_requests).
//   transient_kb  KiB allocated as a PHP string and freed at the end of the request: what
//                 memory_limit counts ("Allowed memory size of ... exhausted" when too much).
//   work_ms       CPU burnt (a busy loop on the monotonic clock).
//   wait_ms       asleep, busy without CPU (like waiting for a database).
//
// Query: ?id=1&leak_kb=4096&transient_kb=100&work_ms=20&wait_ms=0
// Answers with the headers X-Lab-Pid: <pid> (the child that served the request) and
// X-Lab-Rss-Kb: <KiB> (that child's RSS right after the request, from /proc/self/statm, as ps
// prints it), which the lab's load driver writes into requests.csv's rss_kb.

header('X-Lab-Pid: ' . getmypid());
header('Content-Type: text/plain');

// The child's resident memory now: /proc/self/statm's second field (pages) × the page size.
function lab_rss_kb(): int
{
    $statm = @file_get_contents('/proc/self/statm');
    if ($statm === false) {
        return -1;
    }
    $fields = explode(' ', trim($statm));
    if (count($fields) < 2) {
        return -1;
    }
    $page = 4096;
    if (class_exists('FFI', false)) {
        $size = FFI::cdef('long sysconf(int name);')->sysconf(30); // _SC_PAGESIZE
        if ($size > 0) {
            $page = $size;
        }
    }
    return intdiv((int)$fields[1] * $page, 1024);
}

function lab_rss_header(): void
{
    $kb = lab_rss_kb();
    if ($kb >= 0) {
        header('X-Lab-Rss-Kb: ' . $kb);
    }
}

// A request that dies on memory_limit (PHP's fatal error) still reports the child's RSS, from
// the shutdown functions, as long as nothing was sent yet.
register_shutdown_function(function (): void {
    if (!headers_sent()) {
        lab_rss_header();
    }
});

// The application's code (request.code): the classes the lab generated into lab-code/, loaded
// and run by every request, so opcache's shared memory is touched by every child.
if (is_file(__DIR__ . '/lab-code/app.php')) {
    require __DIR__ . '/lab-code/app.php';
}

$leakKb = max(0, (int)($_GET['leak_kb'] ?? 0));
$transientKb = max(0, (int)($_GET['transient_kb'] ?? 0));
$workMs = max(0.0, (float)($_GET['work_ms'] ?? 0));
$waitMs = max(0.0, (float)($_GET['wait_ms'] ?? 0));

// The C-level leak. FFI::cdef without a library resolves the symbols in the process (libc's
// malloc). The pointer is dropped at the end of the request; the memory is not: FFI frees only
// what FFI::new owns, never what malloc returned.
if ($leakKb > 0) {
    $libc = FFI::cdef('void *malloc(size_t size); void *memset(void *s, int c, size_t n);');
    $bytes = $leakKb * 1024;
    $block = $libc->malloc($bytes);
    if (FFI::isNull($block)) {
        http_response_code(500);
        echo "malloc($bytes) failed\n";
        return;
    }
    $libc->memset($block, 0x5A, $bytes); // touch every page: the leak is resident (RSS), not only reserved (VSZ)
}

// Transient memory, as PHP values: counted by memory_limit, freed when the request ends.
$transient = $transientKb > 0 ? str_repeat('t', $transientKb * 1024) : '';

// CPU work: a busy loop on the monotonic clock.
if ($workMs > 0) {
    $until = hrtime(true) + (int)($workMs * 1e6);
    $x = 0;
    while (hrtime(true) < $until) {
        for ($i = 0; $i < 1000; $i++) {
            $x += $i;
        }
    }
}

// Asleep: usleep() returns early when a signal arrives (php-fpm's SIGQUIT to a busy child on a
// reload or a graceful stop): sleep again until the wait is over, so the request waits what it
// was asked to, as the dotnet engine's worker does.
if ($waitMs > 0) {
    $until = hrtime(true) + (int)($waitMs * 1e6);
    while (($left = $until - hrtime(true)) > 0) {
        usleep(max(1, intdiv($left, 1000)));
    }
}

// The request's work is done: its PHP values are freed (the allocator keeps what it keeps), and
// the child's RSS is what the next request starts from.
unset($transient);
lab_rss_header();

echo 'ok id=', (int)($_GET['id'] ?? 0), ' pid=', getmypid(), ' leak_kb=', $leakKb, ' transient_kb=', $transientKb, "\n";
