# The streaming data path: partial aggregates shuffled from source actors to reducers, and the
# reducers' snapshots of their key groups. A partial is a signed delta: retractions subtract.
@0x87a1766d3a3d5a11;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sluice::wire");

using Change = import "change.capnp";

# One value of a min/max multiset with its (signed) multiplicity.
struct MultisetEntry {
  value @0 :Change.Value;
  count @1 :Int64;
}

# The state (or a delta of it) of one aggregate of one group.
struct AggregateState {
  count @0 :Int64;                  # values counted (count(*): rows)
  bigintSumLow @1 :UInt64;          # sum of a BIGINT column, as a 128-bit integer: low bits
  bigintSumHigh @7 :Int64;          # and high bits
  doubleSum @2 :List(Float64);      # exact sum of a DOUBLE column: its non-overlapping partials
  positiveInfinities @3 :Int64;
  negativeInfinities @4 :Int64;
  nans @5 :Int64;
  multiset @6 :List(MultisetEntry); # min/max: every value with its multiplicity
}

# One group: its key values and window, how many source rows it holds, and its aggregates in the
# order of the job's plan.
struct PartialGroup {
  key @0 :List(Change.Value);
  windowStart @1 :Int64;   # microseconds since the epoch; 0 for a job without a window
  rows @2 :Int64;          # net source rows: the group is gone when this reaches 0
  aggregates @3 :List(AggregateState);
}

# A source row image that may have come too late: its group's window ends at or below the
# sending source's watermark, which bounds every reducer's from above. If the reducer finds the
# group late, the row goes to the job's late-row table.
struct LateCandidate {
  group @0 :UInt32;        # index into the batch's groups
  channel @1 :UInt32;
  offset @2 :UInt64;       # of the change record
  retracted @3 :Bool;      # the record's before-image (retracted), not its after-image
  image @4 :Data;          # the row (row_codec)
}

# What a source actor flushes to one reducer: groups of that reducer's key groups. A reducer's
# snapshot is made of them too, with its watermark: each message either images some key groups
# whole (`imaged`: a restore drops what it holds of them, then takes the groups given) or holds
# the groups changed since the last snapshot, each replacing what a restore holds of it (a group
# with no rows and empty aggregates: it is gone).
struct PartialBatch {
  epoch @0 :UInt64;        # the assignment epoch of the sender: stale senders are fenced
  channel @1 :UInt32;      # the sending source's channel
  groups @2 :List(PartialGroup);
  watermark @3 :Int64 = -9223372036854775808;  # microseconds; windows ending at or below are final
  imaged @4 :List(UInt32); # snapshots: the key groups this message holds whole
  late @5 :List(LateCandidate);  # jobs with a late-row table only
}

# A sink intent: the groups whose sink rows (puts and deletes) a reducer writes for a
# checkpoint, stored before it writes them. Each group is its key and window start only; with
# session windows the group is a session, and `sessionEnds` holds each one's end.
struct SinkIntent {
  groups @0 :List(PartialGroup);
  sessionEnds @1 :List(Int64);
}

# A row image for a join, from a source to the joiner that owns its join key: which side it is
# of, +1 (added) or -1 (retracted), the join key's encoding (key groups follow it) and the row.
# In a joiner's snapshot, a row with weight 0 (a marker) names a key and says that what follows
# (or nothing) is all it holds; each row after it (weight 1) holds one side's stored rows, packed
# in `image` (per row: multiplicity, length, bytes; varints, the multiplicity zigzag). A row with
# weight 2 (a delta) names a key and sets the multiplicity of the rows packed in `image` on its
# side (0: gone), leaving the key's other rows as they are.
struct JoinRow {
  right @0 :Bool;
  weight @1 :Int64;
  key @2 :Data;
  keyGroup @3 :UInt32;
  nullKey @4 :Bool;        # a left row whose join key has a NULL: it matches nothing
  image @5 :Data;          # row_codec bytes of its table's row
}

# What a source flushes to one joiner, and what a joiner's snapshot is made of (`imaged`: the key
# groups the message holds whole, as in PartialBatch).
struct JoinBatch {
  epoch @0 :UInt64;
  channel @1 :UInt32;
  rows @2 :List(JoinRow);
  imaged @3 :List(UInt32);
}
