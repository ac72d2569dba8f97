namespace ArFleet.Recognition.Engine;

/// <summary>The best-scored of the ids offered, at most <paramref name="count"/>, best first; of equal scores the first
/// offered stays ahead.</summary>
public sealed class BestScores(int count)
{
    public List<(int Id, float Score)> Items { get; } = new(count + 1);

    /// <summary>Whether the score would be kept: callers test this before an eligibility check that costs more.</summary>
    public bool Admits(float score) => Items.Count < count || score > Items[^1].Score;

    public void Offer(int id, float score)
    {
        if (!Admits(score)) return;
        var at = Items.FindIndex(i => i.Score < score);
        Items.Insert(at < 0 ? Items.Count : at, (id, score));
        if (Items.Count > count) Items.RemoveAt(count);
    }
}
