from indexer.reconcile import plan


def test_plan_sends_missing_and_changed_and_deletes_extra():
    to_send, to_delete = plan({1: "a", 2: "b", 9: "z"}, {1: "a", 2: "B", 3: "c"})
    assert to_send == [2, 3] and to_delete == [9]
