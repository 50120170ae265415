namespace Lab.Record;

/// <summary>
/// record cannot start: no php-fpm master, several and no --pid, an unreadable configuration, an
/// unknown pool. The message says what and what to do; the CLI exits with code 2, nothing written.
/// </summary>
public sealed class RecordException(string message) : Exception(message);
