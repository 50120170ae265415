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
// Answers with the header X-Lab-Pid: <pid> (the child that served the request).

header('X-Lab-Pid: ' . getmypid());
header('Content-Type: text/plain');

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

if ($waitMs > 0) {
    usleep((int)($waitMs * 1000));
}

echo 'ok id=', (int)($_GET['id'] ?? 0), ' pid=', getmypid(), ' leak_kb=', $leakKb, ' transient_kb=', strlen($transient) >> 10, "\n";
