// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/**
 * @title Vm
 * @notice The few cheatcodes these suites use, at the address every Foundry-compatible runner
 * (Hardhat 3's EDR included) answers them on.
 * @dev Why not forge-std: the only npm package of that name (forge-std 1.1.2, an unofficial copy)
 * imports `ds-test/test.sol`, which it does not ship, and the machines this project builds on reach
 * only the npm registry, so the real library cannot be installed. The signatures below are the
 * standard ones, so swapping in forge-std later is a change of imports.
 */
interface Vm {
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function expectRevert(bytes calldata revertData) external;
    function expectRevert(bytes4 revertData) external;
    function expectRevert() external;
    function assume(bool condition) external pure;
    function deal(address account, uint256 newBalance) external;
    function label(address account, string calldata newLabel) external;
    function getNonce(address account) external view returns (uint64);
    function computeCreateAddress(address deployer, uint256 nonce) external pure returns (address);
    function warp(uint256 newTimestamp) external;
}

/**
 * @title FuzzBase
 * @notice What the suites share: the cheatcode handle, bounded inputs, assertions that say which
 * values differed, and the invariant fuzzer's target list (the runner reads `targetContracts()`
 * from the test contract, as forge-std's StdInvariant exposes it).
 */
abstract contract FuzzBase {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    address[] private _targetContracts;

    /// @dev Restricts the invariant fuzzer's calls to handlers that keep a model of what they did.
    function targetContract(address target) internal {
        _targetContracts.push(target);
    }

    function targetContracts() public view returns (address[] memory) {
        return _targetContracts;
    }

    /// @dev Maps any fuzzed value onto [min, max] without rejecting it (rejections waste runs).
    function bound(uint256 value, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        if (min == 0 && max == type(uint256).max) return value;
        return min + value % (max - min + 1);
    }

    function assertEq(uint256 actual, uint256 expected, string memory what) internal pure {
        if (actual != expected) {
            revert(string.concat(what, ": ", _toString(actual), " != expected ", _toString(expected)));
        }
    }

    function assertEq(address actual, address expected, string memory what) internal pure {
        if (actual != expected) {
            revert(string.concat(what, ": ", _toHex(uint160(actual)), " != expected ", _toHex(uint160(expected))));
        }
    }

    function assertTrue(bool condition, string memory what) internal pure {
        if (!condition) revert(what);
    }

    function _toString(uint256 value) private pure returns (string memory) {
        if (value == 0) return "0";
        bytes memory digits = new bytes(78);
        uint256 length;
        while (value != 0) {
            digits[77 - length] = bytes1(uint8(48 + value % 10));
            value /= 10;
            ++length;
        }
        bytes memory out = new bytes(length);
        for (uint256 i = 0; i < length; ++i) {
            out[i] = digits[78 - length + i];
        }
        return string(out);
    }

    function _toHex(uint160 value) private pure returns (string memory) {
        bytes memory digits = "0123456789abcdef";
        bytes memory out = new bytes(42);
        out[0] = "0";
        out[1] = "x";
        for (uint256 i = 0; i < 20; ++i) {
            uint8 b = uint8(value >> (8 * (19 - i)));
            out[2 + 2 * i] = digits[b >> 4];
            out[3 + 2 * i] = digits[b & 15];
        }
        return string(out);
    }
}
