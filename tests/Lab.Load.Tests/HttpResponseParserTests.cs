using System.Text;

namespace Lab.Load.Tests;

public class HttpResponseParserTests
{
    private static ParseOutcome Parse(string data, bool eof, out ResponseHead head, out int consumed) =>
        HttpResponseParser.TryParse(Encoding.ASCII.GetBytes(data), eof, out head, out consumed);

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Lab-Pid: 77\r\n\r\nhello", 200, 77, true)]
    [InlineData("HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 502, 0, false)]
    [InlineData("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nx-lab-pid: 9\r\n\r\n", 204, 9, true)]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n", 200, 0, true)]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 200, 0, false)]
    public void ACompleteAnswerIsFoundByteByByte(string answer, int status, int pid, bool keepAlive)
    {
        // every prefix but the whole answer needs more; the whole one is complete, consumed exactly
        for (int i = 0; i < answer.Length; i++)
            Assert.Equal(ParseOutcome.NeedMore, Parse(answer[..i], eof: false, out _, out _));
        Assert.Equal(ParseOutcome.Complete, Parse(answer, eof: false, out var head, out int consumed));
        Assert.Equal(answer.Length, consumed);
        Assert.Equal((status, pid, keepAlive), (head.Status, head.Pid, head.KeepAlive));
    }

    [Fact]
    public void ABodyWithoutLengthEndsWithTheConnection()
    {
        const string answer = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nsome body";
        Assert.Equal(ParseOutcome.NeedMore, Parse(answer, eof: false, out _, out _));
        Assert.Equal(ParseOutcome.CompleteAtEnd, Parse(answer, eof: true, out var head, out int consumed));
        Assert.Equal(answer.Length, consumed);
        Assert.False(head.KeepAlive);
    }

    [Theory]
    [InlineData("SSH-2.0-OpenSSH\r\n\r\n")]
    [InlineData("HTTP/1.1 2x0 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")]
    public void GarbageIsMalformed(string data) =>
        Assert.Equal(ParseOutcome.Malformed, Parse(data, eof: false, out _, out _));
}
