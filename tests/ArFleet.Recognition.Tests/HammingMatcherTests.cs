using ArFleet.Recognition.Engine;
using OpenCvSharp;

namespace ArFleet.Recognition.Tests;

public class HammingMatcherTests
{
    [Fact]
    public void Finds_the_nearest_two_distances_that_OpenCVs_brute_force_matcher_finds()
    {
        // 300 query descriptors, half of them noisy copies of some of the 500 target descriptors, half unrelated.
        var random = new Random(21);
        var train = new byte[500 * 32];
        random.NextBytes(train);
        var query = new byte[300 * 32];
        random.NextBytes(query);
        for (var i = 0; i < 150; i++)
        {
            train.AsSpan(random.Next(500) * 32, 32).CopyTo(query.AsSpan(i * 32, 32));
            for (var flip = 0; flip < random.Next(40); flip++) query[i * 32 + random.Next(32)] ^= (byte)(1 << random.Next(8));
        }
        using var queryMat = Mat.FromPixelData(300, 32, MatType.CV_8UC1, query);
        using var trainMat = Mat.FromPixelData(500, 32, MatType.CV_8UC1, train);
        using var matcher = new BFMatcher(NormTypes.Hamming);
        var expected = matcher.KnnMatch(queryMat, trainMat, 2);

        var nearest = HammingMatcher.NearestTwo(queryMat, trainMat);

        Assert.Equal(300, nearest.Length);
        for (var i = 0; i < nearest.Length; i++)
        {
            Assert.Equal((int)expected[i][0].Distance, nearest[i].Distance);
            Assert.Equal((int)expected[i][1].Distance, nearest[i].Second);
            if (nearest[i].Distance < nearest[i].Second) Assert.Equal(expected[i][0].TrainIdx, nearest[i].Train);
        }
        Assert.Contains(nearest, n => n.Distance < 30); // the copies are found, not only chance neighbours
    }
}
