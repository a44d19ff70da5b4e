import CacheStore
import Testing

/// The memo tables' bound: at most so many entries and so much cost, starting over when a new key would pass
/// either, never for a key it already holds.
@Suite("Bounded memo table")
struct BoundedTableTests {
    @Test("a new key beyond the entry bound empties the table first; replacing a kept key does not")
    func entryBound() {
        let table = BoundedTable<String, Int>(maxEntries: 3)
        for (index, key) in ["a", "b", "c"].enumerated() { table.insert(index, for: key) }
        table.insert(10, for: "b")
        #expect(table.count == 3)
        #expect(table.value(for: "a") == 0)
        #expect(table.value(for: "b") == 10)

        table.insert(4, for: "d")
        #expect(table.count == 1)
        #expect(table.value(for: "a") == nil)
        #expect(table.value(for: "d") == 4)
    }

    @Test("costs add up, a replacement's cost replaces the old one, and passing the cost bound starts over")
    func costBound() {
        let table = BoundedTable<Int, String>(maxEntries: 100, maxCost: 10)
        table.insert("four", for: 1, cost: 4)
        table.insert("five", for: 2, cost: 5)
        #expect(table.cost == 9)
        table.insert("two", for: 1, cost: 2)
        #expect(table.cost == 7)
        #expect(table.count == 2)

        table.insert("three", for: 3, cost: 3)
        #expect(table.cost == 10)
        #expect(table.count == 3)

        table.insert("one", for: 4, cost: 1)
        #expect(table.count == 1)
        #expect(table.cost == 1)
        #expect(table.value(for: 2) == nil)
        #expect(table.value(for: 4) == "one")
    }

    @Test("a value costing more than the whole table is not kept, and nothing is forgotten for it")
    func oversizedValue() {
        let table = BoundedTable<Int, String>(maxEntries: 100, maxCost: 10)
        table.insert("kept", for: 1, cost: 6)
        table.insert("too big", for: 2, cost: 11)
        #expect(table.value(for: 2) == nil)
        #expect(table.value(for: 1) == "kept")
        #expect(table.cost == 6)
    }
}
