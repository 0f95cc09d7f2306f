// `enable subgroups;` must come before every declaration of a module, and `//! requires:` prepends
// modules in order, so conv2d_subgroups.wgsl requires this one first. Only devices created with the
// 'subgroups' feature can compile a module that includes it.
enable subgroups;
