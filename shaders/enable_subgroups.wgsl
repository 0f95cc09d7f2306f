// `enable subgroups;` must come before every declaration of a module, and `//! requires:` prepends
// modules in order, so a shader that uses subgroups requires this one first (conv2d_subgroups,
// matmul_subgroups). Only devices created with the 'subgroups' feature can compile such a module.
enable subgroups;
