"""The identifier folding shared by validation and rendering (harness.topology.names)."""

from __future__ import annotations

from harness.topology.names import (
    bucket_module,
    bucket_name,
    physical_name,
    provider_alias,
    queue_module,
    subscription_module,
    tf_ident,
    topic_module,
)


def test_tf_ident_lowercases_and_folds_everything_else_to_underscore() -> None:
    assert tf_ident("Orders-FIFO.v2") == "orders_fifo_v2"
    assert tf_ident("a_b") == tf_ident("a-b") == "a_b"
    assert tf_ident("B") == tf_ident("b")
    assert tf_ident("é") == "_"


def test_terraform_and_physical_names_keep_their_forms() -> None:
    assert provider_alias("B", "eu-west-1") == "b_eu_west_1"
    assert (topic_module("orders-fifo"), queue_module("b-eu"), bucket_module("payloads")) == (
        "topic_orders_fifo",
        "queue_b_eu",
        "bucket_payloads",
    )
    assert subscription_module("orders", "b-eu") == "sub_orders__b_eu"
    assert physical_name("r1", "orders") == "hx-r1-orders"
    assert physical_name("r1", "orders", fifo=True) == "hx-r1-orders.fifo"
    assert bucket_name("r1", "payloads", "111111111111") == "hx-r1-payloads-111111111111"
