namespace ArFleet.Recognition.Engine;

/// <summary>What recognised a target: its features, its outline (see Outlines) or its shapes (see Shapes).</summary>
public enum MatchKind { Features, Outline, Shape }
