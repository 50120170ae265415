namespace Lab.Import;

/// <summary>
/// An import file that cannot be imported (missing, empty, no ps output, no php-fpm process):
/// the message says what was expected, with an example. The CLI prints it and exits 2; nothing
/// has been created.
/// </summary>
public sealed class ImportException(string message) : Exception(message);
