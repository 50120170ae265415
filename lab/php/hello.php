<?php
// The smallest request php-fpm can serve, for benchmarks of the stack itself (nginx + php-fpm
// against wrk and against the lab's load driver).
header('X-Lab-Pid: ' . getmypid());
header('Content-Type: text/plain');
echo "hello\n";
