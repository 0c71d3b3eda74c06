# Sourced by the bench scripts. `parallelism_probe` prints how much more work two busy loops
# do at once than one alone: 2.0 on two real cores, nearer 1.0 when the VM gives fewer.
parallelism_probe() {
    local dir one two
    dir=$(mktemp -d)
    _probe_loop() {
        python3 -c 'import time; t=time.time(); n=0
while time.time()-t < 0.5: n+=1
print(n)'
    }
    one=$(_probe_loop)
    # Each loop writes its own file: two writers on one pipe can interleave their digits.
    _probe_loop >"$dir/a" & _probe_loop >"$dir/b" & wait
    two=$(cat "$dir/a" "$dir/b" | awk '{s+=$1} END {print s}')
    rm -r "$dir"
    python3 -c "print(round($two/$one, 2))"
}
