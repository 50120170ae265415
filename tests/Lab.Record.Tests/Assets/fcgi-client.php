<?php
// An ordinary FastCGI client, independent of the lab: sends GET requests to a php-fpm socket
// at a steady rate, as a web server would (one connection per request, FCGI_RESPONDER), and
// prints one line per request: "<n> <status-line-or-error>".
//
//   php fcgi-client.php SOCKET SCRIPT_FILENAME REQUESTS RATE_PER_SECOND
//
// SOCKET is a Unix socket path or host:port.

[$_, $socket, $script, $count, $rate] = $argv + [null, null, null, '10', '10'];
$count = (int)$count;
$interval = 1.0 / (float)$rate;

function pair(string $name, string $value): string
{
    $n = strlen($name);
    $v = strlen($value);
    $len = fn(int $l) => $l < 128 ? chr($l) : pack('N', $l | 0x80000000);
    return $len($n) . $len($v) . $name . $value;
}

function record(int $type, string $content, int $id = 1): string
{
    $pad = (8 - strlen($content) % 8) % 8;
    return pack('CCnnCC', 1, $type, $id, strlen($content), $pad, 0) . $content . str_repeat("\0", $pad);
}

function request(string $socket, string $script, string $uri): string
{
    $address = str_contains($socket, '/') ? "unix://$socket" : "tcp://$socket";
    $s = @stream_socket_client($address, $errno, $errstr, 5);
    if ($s === false) return "connect failed: $errstr";
    $params = '';
    foreach ([
        'GATEWAY_INTERFACE' => 'CGI/1.1', 'REQUEST_METHOD' => 'GET', 'SCRIPT_FILENAME' => $script,
        'SCRIPT_NAME' => parse_url($uri, PHP_URL_PATH), 'REQUEST_URI' => $uri, 'QUERY_STRING' => (string)parse_url($uri, PHP_URL_QUERY),
        'SERVER_SOFTWARE' => 'php-client', 'SERVER_NAME' => 'localhost', 'SERVER_PORT' => '80', 'SERVER_PROTOCOL' => 'HTTP/1.1',
        'REMOTE_ADDR' => '127.0.0.1', 'REDIRECT_STATUS' => '200',
    ] as $k => $v) $params .= pair($k, $v);
    fwrite($s, record(1, pack('nCxxxxx', 1, 0)) . record(4, $params) . record(4, '') . record(5, ''));
    $out = '';
    while (!feof($s)) {
        $h = fread($s, 8);
        if ($h === false || strlen($h) < 8) break;
        $r = unpack('Cversion/Ctype/nid/nlen/Cpad/Cres', $h);
        $body = $r['len'] > 0 ? stream_get_contents($s, $r['len']) : '';
        if ($r['pad'] > 0) stream_get_contents($s, $r['pad']);
        if ($r['type'] === 6) $out .= $body;
        if ($r['type'] === 3) break;
    }
    fclose($s);
    if (preg_match('/^Status: (\d+)/mi', $out, $m)) return $m[1];
    return $out === '' ? 'no answer' : '200';
}

$start = microtime(true);
for ($i = 1; $i <= $count; $i++) {
    $due = $start + ($i - 1) * $interval;
    $wait = $due - microtime(true);
    if ($wait > 0) usleep((int)($wait * 1e6));
    echo $i, ' ', request($socket, $script, parse_url($script, PHP_URL_PATH) . "?n=$i"), "\n";
}
