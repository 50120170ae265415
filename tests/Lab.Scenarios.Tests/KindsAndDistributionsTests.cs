using Lab.Core.Requests;
using Lab.Core.Scenarios;
using static Lab.Scenarios.Tests.Helpers;

namespace Lab.Scenarios.Tests;

/// <summary>[[request.kinds]], request.query, and the choice and lognormal distributions.</summary>
public class KindsAndDistributionsTests
{
    private const string Mix = """
        [request]
        script = "/leak.php"
        work = "5ms"
        leak = "0K"

        [[request.kinds]]
        name = "page"
        weight = 3

        [[request.kinds]]
        name = "search"
        weight = 1
        query = "q=php"
        work = { dist = "lognormal", mean = "20ms", stddev = "10ms" }

        [[request.kinds]]
        name = "export"
        share = "1%"
        script = "/export.php"
        leak = { dist = "choice", values = ["0K", "50M"], weights = [1, 9] }

        """ + OnePhase;

    [Fact]
    public void Kinds_take_requests_values_for_what_they_do_not_set_and_split_the_rest_by_weight()
    {
        var s = Parse(Mix);
        var kinds = s.Request.Kinds;
        Assert.Equal(["page", "search", "export"], kinds.Select(k => k.Name));
        Assert.Equal(Distribution.Const(5), kinds[0].WorkMs);           // from [request]
        Assert.Equal("/leak.php", kinds[1].Script);
        Assert.Equal("q=php", kinds[1].Query);
        Assert.Equal(Distribution.LogNormal(20, 10), kinds[1].WorkMs);
        Assert.Equal("/export.php", kinds[2].Script);
        Assert.Equal(Distribution.Choice([0, 51200], [1, 9]), kinds[2].LeakKb);
        Assert.Equal(0.01, kinds[2].Share);
        var p = RequestKind.Probabilities(kinds);
        Assert.Equal(0.99 * 3 / 4, p[0], 12);
        Assert.Equal(0.99 / 4, p[1], 12);
        Assert.Equal(0.01, p[2], 12);
    }

    [Fact]
    public void Kinds_and_the_new_distributions_round_trip_through_the_written_scenario()
    {
        var s = Parse(Mix);
        string toml = ScenarioWriter.ToToml(s);
        Assert.Contains("[[request.kinds]]", toml);
        Assert.Contains("share = \"1%\"", toml);
        Assert.Contains("leak = { dist = \"choice\", values = [\"0K\", \"50M\"], weights = [1, 9] }", toml);
        Assert.Contains("work = { dist = \"lognormal\", mean = \"20ms\", stddev = \"10ms\" }", toml);
        var again = ScenarioLoader.Parse(toml, "scenario.toml", "x", []);
        AssertSame(s, again);
        Assert.Equal(s.Request, again.Request);
        Assert.Equal(toml, ScenarioWriter.ToToml(again));
    }

    [Fact]
    public void Every_engine_draws_the_same_kind_for_request_i_and_the_kinds_come_in_their_shares()
    {
        var s = Parse(Mix);
        foreach (ulong seed in new ulong[] { 1, 7, 42 })
        {
            var stream = new RequestStream(s.Request, seed);
            var own = new RequestStream(s.Request, seed, labParameters: false); // the php-fpm engine with a docroot of your own
            var counts = new Dictionary<string, int>();
            const int n = 200_000;
            for (long id = 1; id <= n; id++)
            {
                var r = stream.For(id);
                Assert.Equal(r, stream.For(id));
                var o = own.For(id);
                Assert.Equal(r.Kind, o.Kind);
                Assert.Equal(r.Script, o.Script);
                counts[r.Kind!] = counts.GetValueOrDefault(r.Kind!) + 1;
            }
            // the binomial's 5 standard deviations
            void Near(string kind, double p) => Assert.InRange(counts[kind], n * p - 5 * Math.Sqrt(n * p * (1 - p)), n * p + 5 * Math.Sqrt(n * p * (1 - p)));
            Near("page", 0.7425);
            Near("search", 0.2475);
            Near("export", 0.01);
        }
    }

    [Fact]
    public void The_query_carries_the_labs_parameters_for_its_scripts_and_only_the_scenarios_for_yours()
    {
        var s = Parse(Mix);
        var stream = new RequestStream(s.Request, 3);
        var search = Enumerable.Range(1, 1000).Select(i => stream.For(i)).First(r => r.Kind == "search");
        Assert.StartsWith($"id={search.Id}&leak_kb=0&transient_kb=0&work_ms=", search.Query);
        Assert.EndsWith("&q=php", search.Query);
        Assert.Equal("/leak.php?" + search.Query, search.Uri);
        var own = new RequestStream(s.Request, 3, labParameters: false).For(search.Id);
        Assert.Equal("q=php", own.Query);
        Assert.Equal("/leak.php?q=php", own.Uri);
        Assert.Equal((0, 0, 0.0, 0.0), (own.LeakKb, own.TransientKb, own.WorkMs, own.WaitMs)); // nothing asked of your script
        var page = new RequestStream(s.Request, 3, labParameters: false).For(Enumerable.Range(1, 1000).First(i => stream.For(i).Kind == "page"));
        Assert.Equal("/leak.php", page.Uri); // no query at all
    }

    [Fact]
    public void Choice_and_lognormal_draw_what_they_say()
    {
        var choice = Distribution.Choice([0, 3072], [95, 5]);
        var lognormal = Distribution.LogNormal(20, 10);
        var rng = new Random(5);
        int n = 400_000, big = 0;
        double sum = 0, sumSq = 0;
        for (int i = 0; i < n; i++)
        {
            if (choice.Draw(rng.NextDouble(), rng.NextDouble()) == 3072) big++;
            double v = lognormal.Draw(rng.NextDouble(), rng.NextDouble());
            Assert.True(v > 0);
            sum += v; sumSq += v * v;
        }
        Assert.InRange(big / (double)n, 0.049, 0.051);
        Assert.Equal(0.05 * 3072, choice.Mean, 9);
        double mean = sum / n, sd = Math.Sqrt(sumSq / n - mean * mean);
        Assert.InRange(mean, 19.9, 20.1);
        Assert.InRange(sd, 9.8, 10.2);
    }

    [Fact]
    public void Overrides_reach_a_kind_by_its_number_and_a_shared_leaf_is_ambiguous()
    {
        var s = Parse(Mix, "request.kinds.3.leak=60M", "kinds.1.weight=1", "request.kinds.2.work.mean=30ms", "request.query=lang=en");
        Assert.Equal(Distribution.Const(61440), s.Request.Kinds[2].LeakKb);
        Assert.Equal(1, s.Request.Kinds[0].Weight);
        Assert.Equal(Distribution.LogNormal(30, 10), s.Request.Kinds[1].WorkMs);
        Assert.Equal("lang=en", s.Request.Query);
        var e = Bad(Mix, "share=2%");
        Assert.Contains("request.kinds.1.share", e.Message); // every kind may take a share: name one
        var none = Bad(OnePhase, "share=2%");
        Assert.Contains("share is a key of a request kind, and the scenario has none", none.Message);
        var past = Bad(Mix, "request.kinds.4.leak=1M");
        Assert.Contains("the scenario has 3 request kinds, so there is no request.kinds.4", past.Message);
    }

    [Theory]
    [InlineData("[[request.kinds]]\nweight = 1\n", "request.kinds.1 has no name")]
    [InlineData("[[request.kinds]]\nname = \"a b\"\n", "must be a name of letters, digits")]
    [InlineData("[[request.kinds]]\nname = \"a\"\n[[request.kinds]]\nname = \"a\"\n", "request.kinds.1 has that name already")]
    [InlineData("[[request.kinds]]\nname = \"a\"\nweight = 1\nshare = \"5%\"\n", "give a weight or a share, not both")]
    [InlineData("[[request.kinds]]\nname = \"a\"\nshare = \"60%\"\n[[request.kinds]]\nname = \"b\"\nshare = \"50%\"\n", "the shares add up to 110% with this one")]
    [InlineData("[[request.kinds]]\nname = \"a\"\nshare = \"60%\"\n[[request.kinds]]\nname = \"b\"\nshare = \"30%\"\n", "they add up to 90%; make them add up to 100%")]
    [InlineData("[[request.kinds]]\nname = \"a\"\nshare = \"100%\"\n[[request.kinds]]\nname = \"b\"\n", "request.kinds.2 (b) would get no request")]
    [InlineData("[[request.kinds]]\nname = \"a\"\nshare = \"1\"\n", "must be a percentage of all requests")]
    [InlineData("[[request.kinds]]\nname = \"a\"\nweight = 0\n", "must be a number larger than 0")]
    [InlineData("[[request.kinds]]\nname = \"a\"\nlimit = 1\n", "unknown key \"limit\" in request.kinds.1")]
    [InlineData("[request]\nleak = { dist = \"choice\", values = [\"0K\", \"3M\"], weights = [1] }\n", "has 1 weights for 2 values")]
    [InlineData("[request]\nleak = { dist = \"choice\", values = [] }\n", "must list at least one value")]
    [InlineData("[request]\nwork = { dist = \"lognormal\", mean = \"0ms\", stddev = \"1ms\" }\n", "must be larger than 0")]
    [InlineData("[request]\nquery = \"?a=1\"\n", "without the '?'")]
    [InlineData("[request]\nscript = \"/../etc/passwd\"\n", "no spaces, '?', '#' or '..'")]
    public void A_bad_kind_or_distribution_is_an_error_at_its_line(string body, string expected)
    {
        string toml = body + OnePhase;
        var e = Bad(toml);
        Assert.Contains(expected, e.Message);
        Assert.StartsWith(Source + ":", e.Message);
    }
}
