from blockstudio.core.document import BlockParam, Edge, Node, ParamRef
from blockstudio.core.validate import validate


def codes(doc, catalog):
    return {(p.code, p.node_id, p.param) for p in validate(doc, catalog)}


def test_the_template_is_valid(unet, catalog):
    assert validate(unet, catalog) == []


def test_every_problem_is_reported_at_once(unet, catalog):
    unet.set_node_field("conv1", "name", "conv 1")
    unet.set_node_field("norm1", "name", "build")
    unet.set_param("conv2", "kernel_size", 0)
    unet.set_node_field("res_conv", "condition", "in_channels !=")
    unet.set_param("lrelu", "negative_slope", ParamRef("missing"))
    unet.add_edge(Edge("norm2", "conv1"))  # conv1 now has two inputs on port 0 and a cycle
    found = codes(unet, catalog)
    assert ("bad_name", "conv1", "name") in found
    assert ("reserved_name", "norm1", "name") in found
    assert ("bad_param", "conv2", "kernel_size") in found
    assert ("bad_condition", "res_conv", "condition") in found
    assert ("unresolved_ref", "lrelu", "negative_slope") in found
    assert ("port_taken", "conv1", None) in found
    assert any(code == "cycle" for code, _, _ in found)


def test_messages_say_what_is_wrong(unet, catalog):
    unet.set_param("conv2", "kernel_size", 0)
    (problem,) = validate(unet, catalog)
    assert problem.message == "kernel_size must be at least 1, not 0."


def test_unconnected_input_and_unreached_output(unet, catalog):
    for edge in unet.inputs_of("norm1"):
        unet.remove_edge(edge)
    found = codes(unet, catalog)
    assert ("unconnected_input", "norm1", None) in found
    assert ("unreached", "conv2", None) in found
    for edge in unet.inputs_of("lrelu_out"):
        unet.remove_edge(edge)
    assert ("output_unreached", "output", None) in codes(unet, catalog)


def test_unknown_kind_and_unknown_param(unet, catalog):
    unet.add_node(Node("x1", "Conv4D", "weird"))
    unet.set_param("lrelu", "slope", 0.1)
    found = codes(unet, catalog)
    assert ("unknown_kind", "x1", "kind") in found
    assert ("unknown_param", "lrelu", "slope") in found


def test_duplicate_names_and_clash_with_block_params(unet, catalog):
    unet.set_node_field("conv2", "name", "conv1")
    unet.set_node_field("norm2", "name", "stride")
    found = codes(unet, catalog)
    assert ("duplicate_name", "conv2", "name") in found
    assert ("reserved_name", "norm2", "name") in found


def test_reference_type_must_fit(unet, catalog):
    unet.set_param("conv1", "filters", ParamRef("norm_name"))
    (problem,) = validate(unet, catalog)
    assert problem.node_id == "conv1" and "norm_name" in problem.message


def test_condition_may_only_name_block_params_and_in_channels(unet, catalog):
    unet.set_node_field("res_conv", "condition", "channels_in != out_channels")
    (problem,) = validate(unet, catalog)
    assert problem.code == "bad_condition" and "channels_in" in problem.message


def test_absent_node_values_are_not_checked(unet, catalog):
    # dropout defaults to None; drop1 is absent then, so rate=None is fine
    assert unet.param("dropout").default is None
    unet.set_node_field("drop1", "condition", None)
    found = codes(unet, catalog)
    assert ("bad_param", "drop1", "rate") in found


def test_bad_block_param_default(unet, catalog):
    unet.add_block_param(BlockParam("groups", "int", "eight"))
    found = codes(unet, catalog)
    assert ("bad_param", None, "params.groups") in found


def test_a_merge_can_be_conditional_and_its_condition_is_checked(unet, catalog):
    # absent, a merge passes its first input on (the engine tests check what that computes)
    unet.set_node_field("add", "condition", "stride != 1")
    assert codes(unet, catalog) == set()
    unet.set_node_field("add", "condition", "strid != 1")
    assert ("bad_condition", "add", "condition") in codes(unet, catalog)


def test_dead_node_is_only_a_warning(unet, catalog):
    unet.add_node(Node("extra", "ReLU", "extra"))
    unet.add_edge(Edge("norm1", "extra"))
    (problem,) = validate(unet, catalog)
    assert problem.code == "dead_node" and problem.severity == "warning"


def test_connection_problems_say_why(unet, catalog):
    from blockstudio.core.connect import connection_problem, free_port

    assert connection_problem(unet, catalog, "norm2", "conv1", 0).startswith("Input 0 of conv1")
    assert "at most 1 input" in connection_problem(unet, catalog, "norm2", "norm1", 1)
    for edge in unet.inputs_of("norm1"):
        unet.remove_edge(edge)
    assert "cycle" in connection_problem(unet, catalog, "norm2", "norm1", 0)
    assert connection_problem(unet, catalog, "input", "norm1", 0) is None
    assert "has no input port" in connection_problem(unet, catalog, "conv1", "input", 0)
    assert free_port(unet, catalog, "add") == 2
