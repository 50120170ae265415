namespace Lab.Core.Status;

/// <summary>php-fpm's request stages (fpm_request.h), as its scoreboard holds them and its status page names them.</summary>
public enum RequestStage
{
    /// <summary>FPM_REQUEST_CREATING: forked, not yet in accept().</summary>
    Starting = 0,
    /// <summary>FPM_REQUEST_ACCEPTING: waiting in accept(): "Idle".</summary>
    Idle = 1,
    /// <summary>FPM_REQUEST_READING_HEADERS.</summary>
    ReadingHeaders = 2,
    /// <summary>FPM_REQUEST_INFO.</summary>
    GettingRequestInfo = 3,
    /// <summary>FPM_REQUEST_EXECUTING: the script runs.</summary>
    Running = 4,
    /// <summary>FPM_REQUEST_END: the response was sent.</summary>
    Ending = 5,
    /// <summary>FPM_REQUEST_FINISHED.</summary>
    Finishing = 6,
}
